package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Int8PrecisionTest {

    private static final List<String> AVX2_EPYC = List.of(
            "processor\t: 0", "vendor_id\t: AuthenticAMD", "model name\t: AMD EPYC",
            "flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 bmi2", "", "processor\t: 1");
    private static final List<String> VNNI_XEON = List.of(
            "processor\t: 0", "flags\t\t: fpu sse2 avx avx2 avx512f avx512bw avx512_vnni");

    @Test
    void readsTheFlagsOfTheFirstProcessor() {
        assertThat(Int8Precision.flags(AVX2_EPYC)).contains("avx2", "fma").doesNotContain("avx512_vnni");
        assertThat(Int8Precision.flags(List.of("processor : 0"))).isNull();
    }

    @Test
    void exactAccumulationOnlyOnX86WithoutVnni() {
        assertThat(Int8Precision.saturates("amd64", Int8Precision.flags(AVX2_EPYC))).isTrue();
        assertThat(Int8Precision.saturates("amd64", Int8Precision.flags(VNNI_XEON))).isFalse();
        assertThat(Int8Precision.saturates("x86_64", Set.of("avx2", "avx_vnni"))).isFalse();
        assertThat(Int8Precision.saturates("amd64", null)).as("unknown CPU: accuracy first").isTrue();
        assertThat(Int8Precision.saturates("aarch64", Set.of())).isFalse();
    }
}
