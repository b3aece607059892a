package io.imageclassifier.classify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether int8 models need ONNX Runtime's 16-bit accumulation on this machine.
 *
 * <p>On x86-64 CPUs without VNNI (AVX2-only or AVX-512 without VNNI: AMD EPYC before Zen 4, Intel
 * before Cascade Lake), ONNX Runtime's u8 x s8 kernels multiply with {@code vpmaddubsw}, whose
 * 16-bit intermediate sums saturate. Models quantized on a VNNI machine (the shared MobileNetV2 from
 * the ONNX Model Zoo among them) then lose accuracy: measured on an AVX2-only AMD EPYC, the dev set's
 * top-1 drops from 87 % to 76.5 % and the espresso photo from 0.99 to 0.59. ONNX Runtime's session
 * option {@code session.x64quantprecision} accumulates without saturating, at a cost in speed
 * (about 1.7x the inference time there). Decided per TaskManager process from its own CPU, because
 * one node pool may mix CPU generations.
 */
public final class Int8Precision {

    private static final Logger LOG = LoggerFactory.getLogger(Int8Precision.class);

    /** ONNX Runtime session config key (onnxruntime_session_options_config_keys.h). */
    public static final String SESSION_CONFIG_KEY = "session.x64quantprecision";

    /** CPU flags (as in /proc/cpuinfo) of the instructions that multiply u8 x s8 without saturating. */
    static final Set<String> VNNI_FLAGS = Set.of("avx512_vnni", "avx_vnni", "amx_int8");

    private static final boolean SATURATES = detect();

    private Int8Precision() {}

    /** True when sessions on this machine should set {@link #SESSION_CONFIG_KEY}. */
    public static boolean needsExactAccumulation() {
        return SATURATES;
    }

    /**
     * Whether u8 x s8 products saturate on a CPU with this architecture ({@code os.arch}) and these
     * flags; {@code null} flags mean unknown (no /proc/cpuinfo): assume they do, accuracy first.
     */
    static boolean saturates(String arch, Set<String> flags) {
        String a = arch.toLowerCase(Locale.ROOT);
        if (!(a.equals("amd64") || a.equals("x86_64"))) {
            return false; // the option and the problem are x86-64 only
        }
        return flags == null || flags.stream().noneMatch(VNNI_FLAGS::contains);
    }

    /** The flags of the first processor in a /proc/cpuinfo text, or null when it has none. */
    static Set<String> flags(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals("flags")) {
                return Arrays.stream(line.substring(colon + 1).strip().split("\\s+"))
                        .collect(Collectors.toUnmodifiableSet());
            }
        }
        return null;
    }

    private static boolean detect() {
        Set<String> flags;
        try {
            flags = flags(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException | RuntimeException e) {
            flags = null;
        }
        boolean saturates = saturates(System.getProperty("os.arch", ""), flags);
        if (saturates) {
            LOG.info("CPU without VNNI{}: int8 models run with ONNX Runtime's exact accumulation ({}=1), "
                    + "slower but without the accuracy loss of saturating int8 products",
                    flags == null ? " (or unknown: no /proc/cpuinfo)" : "", SESSION_CONFIG_KEY);
        }
        return saturates;
    }
}
