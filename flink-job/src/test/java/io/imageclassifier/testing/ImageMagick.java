package io.imageclassifier.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Debian's ImageMagick ({@code apt-get install imagemagick}, which {@code .ci/run} installs), for
 * test files in formats Java cannot write: HEIC, AVIF, lossy WebP. Only a {@code convert} whose
 * {@code -version} says ImageMagick counts (a machine may have a stand-in of that name).
 */
public final class ImageMagick {

    private static final List<String> CANDIDATES = List.of("/usr/bin/convert", "/usr/bin/convert-im6.q16", "convert");
    private static final String CONVERT = find();

    private ImageMagick() {}

    /** Whether a real ImageMagick {@code convert} is installed. */
    public static boolean available() {
        return CONVERT != null;
    }

    /** Whether ImageMagick can write {@code format} (e.g. {@code HEIC}, {@code AVIF}). */
    public static boolean canWrite(String format) {
        if (CONVERT == null) {
            return false;
        }
        String formats = run(List.of(CONVERT, "-list", "format"));
        for (String line : formats.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 3 && cols[0].replace("*", "").equalsIgnoreCase(format) && cols[2].contains("w")) {
                return true;
            }
        }
        return false;
    }

    /** {@code convert in.<from> [args] out.<to>}: the bytes of the written file. */
    public static byte[] convert(byte[] input, String from, String to, String... args) {
        if (CONVERT == null) {
            throw new IllegalStateException("ImageMagick is not installed (apt-get install imagemagick)");
        }
        try {
            Path dir = Files.createTempDirectory("imagemagick");
            try {
                Path in = Files.write(dir.resolve("in." + from), input);
                Path out = dir.resolve("out." + to);
                List<String> cmd = new java.util.ArrayList<>(List.of(CONVERT, in.toString()));
                cmd.addAll(List.of(args));
                cmd.add(out.toString());
                run(cmd);
                return Files.readAllBytes(out);
            } finally {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String find() {
        for (String c : CANDIDATES) {
            try {
                if (run(List.of(c, "-version")).toLowerCase(Locale.ROOT).contains("imagemagick")) {
                    return c;
                }
            } catch (RuntimeException e) {
                // not this one
            }
        }
        return null;
    }

    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
