package io.imageclassifier.classify;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Seeded mutations of image files for the decoder fuzz test: bit flips, interesting integers
 * written over header fields, truncation, deleted and duplicated ranges, splices of another file,
 * and format-aware rewrites of the fields a decoder sizes its buffers from (PNG IHDR, GIF screen
 * and frame, BMP header, JPEG SOF, HEIF {@code ispe}, WebP VP8X canvas and flags, ANMF frame, VP8 and
 * VP8L sizes). The same case seed gives the same mutant.
 */
final class Mutator {

    /** A mutated input and what was done to it (for the failure message). */
    record Mutant(byte[] bytes, String description) {}

    private static final long[] DIMENSIONS = {0, 1, 2, 3, 255, 256, 4097, 7071, 10_000, 32_767, 65_535, 65_536,
        100_000, 1_000_000, 49_000_000, 0x7fff_ffffL, 0xffff_ffffL};
    private static final int[] BYTES = {0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40};

    private Mutator() {}

    static Mutant mutate(byte[] seed, byte[] other, long caseSeed) {
        SplittableRandom rnd = new SplittableRandom(caseSeed);
        byte[] b = seed.clone();
        StringBuilder what = new StringBuilder();
        int ops = 1 + rnd.nextInt(4);
        for (int i = 0; i < ops && b.length > 0; i++) {
            int op = rnd.nextInt(10);
            int p = position(rnd, b.length);
            switch (op) {
                case 0 -> {
                    int bit = rnd.nextInt(8);
                    b[p] ^= (byte) (1 << bit);
                    what.append("flip bit ").append(bit).append(" at ").append(p);
                }
                case 1 -> {
                    int v = rnd.nextBoolean() ? BYTES[rnd.nextInt(BYTES.length)] : rnd.nextInt(256);
                    b[p] = (byte) v;
                    what.append("byte ").append(p).append('=').append(v);
                }
                case 2 -> {
                    int width = rnd.nextBoolean() ? 2 : 4;
                    long v = DIMENSIONS[rnd.nextInt(DIMENSIONS.length)];
                    boolean little = rnd.nextBoolean();
                    put(b, p, width, v, little);
                    what.append("int").append(width * 8).append(little ? "le " : "be ").append(p).append('=').append(v);
                }
                case 3 -> {
                    b = Arrays.copyOf(b, Math.max(1, p));
                    what.append("truncate to ").append(b.length);
                }
                case 4 -> {
                    int n = 1 + rnd.nextInt(Math.max(1, Math.min(b.length - p, 64)));
                    b = concat(Arrays.copyOf(b, p), Arrays.copyOfRange(b, Math.min(b.length, p + n), b.length));
                    what.append("delete ").append(n).append(" at ").append(p);
                }
                case 5 -> {
                    int n = 1 + rnd.nextInt(Math.max(1, Math.min(b.length - p, 256)));
                    byte[] range = Arrays.copyOfRange(b, p, Math.min(b.length, p + n));
                    int at = rnd.nextInt(b.length + 1);
                    b = concat(concat(Arrays.copyOf(b, at), range), Arrays.copyOfRange(b, at, b.length));
                    what.append("copy ").append(range.length).append(" from ").append(p).append(" to ").append(at);
                }
                case 6 -> {
                    int from = rnd.nextInt(other.length);
                    b = concat(Arrays.copyOf(b, p), Arrays.copyOfRange(other, from, other.length));
                    what.append("splice other[").append(from).append("..] at ").append(p);
                }
                case 7 -> {
                    int n = 2 + rnd.nextInt(16);
                    for (int k = 0; k < n; k++) {
                        b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                    }
                    what.append("havoc ").append(n).append(" bytes");
                }
                default -> what.append(Headers.rewrite(b, rnd));
            }
            what.append("; ");
        }
        if (Headers.isPng(b) && rnd.nextBoolean()) {
            fixPngCrcs(b);
            what.append("png crcs fixed");
        }
        return new Mutant(b, what.toString());
    }

    /** Half the time within the first 512 bytes, where the headers are. */
    private static int position(SplittableRandom rnd, int length) {
        return rnd.nextBoolean() ? rnd.nextInt(Math.min(length, 512)) : rnd.nextInt(length);
    }

    static void put(byte[] b, int p, int width, long v, boolean little) {
        for (int k = 0; k < width && p + k < b.length; k++) {
            int shift = little ? 8 * k : 8 * (width - 1 - k);
            b[p + k] = (byte) (v >>> shift);
        }
    }

    static byte[] concat(byte[] a, byte[] c) {
        byte[] out = Arrays.copyOf(a, a.length + c.length);
        System.arraycopy(c, 0, out, a.length, c.length);
        return out;
    }

    /** Recomputes the CRC of every whole chunk, so that mutations reach the decoder past its CRC checks. */
    static void fixPngCrcs(byte[] b) {
        int p = 8;
        while (p + 12 <= b.length) {
            long len = (b[p] & 0xffL) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
            if (len > b.length - p - 12) {
                return;
            }
            CRC32 crc = new CRC32();
            crc.update(b, p + 4, 4 + (int) len);
            put(b, p + 8 + (int) len, 4, crc.getValue(), false);
            p += 12 + (int) len;
        }
    }

    /** Format-aware rewrites of size fields. */
    static final class Headers {
        private Headers() {}

        static boolean isPng(byte[] b) {
            return b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
        }

        static String rewrite(byte[] b, SplittableRandom rnd) {
            long dim = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(100_000) : DIMENSIONS[rnd.nextInt(DIMENSIONS.length)];
            if (isPng(b) && b.length > 26) {
                switch (rnd.nextInt(4)) {
                    case 0 -> put(b, 16, 4, dim, false);
                    case 1 -> put(b, 20, 4, dim, false);
                    case 2 -> b[24] = (byte) new int[] {1, 2, 4, 8, 16, 3, 32}[rnd.nextInt(7)];
                    default -> b[25] = (byte) new int[] {0, 2, 3, 4, 6, 1, 7}[rnd.nextInt(7)];
                }
                return "png ihdr";
            }
            if (starts(b, "GIF8") && b.length > 13) {
                int frame = gifFrameDescriptor(b);
                int at = frame > 0 && rnd.nextBoolean() ? frame + 5 + 2 * rnd.nextInt(2) : 6 + 2 * rnd.nextInt(2);
                put(b, at, 2, dim, true);
                return "gif dims at " + at + "=" + (dim & 0xffff);
            }
            if (starts(b, "BM") && b.length > 54) {
                switch (rnd.nextInt(4)) {
                    case 0 -> put(b, 18, 4, dim, true);
                    case 1 -> put(b, 22, 4, rnd.nextBoolean() ? dim : -dim, true);
                    case 2 -> put(b, 28, 2, new int[] {1, 4, 8, 16, 24, 32, 0, 64}[rnd.nextInt(8)], true);
                    default -> put(b, 46, 4, dim, true);
                }
                return "bmp header";
            }
            int sof = jpegSof(b);
            if (sof > 0 && sof + 10 < b.length) {
                switch (rnd.nextInt(3)) {
                    case 0 -> put(b, sof + 5, 2, dim, false);
                    case 1 -> put(b, sof + 7, 2, dim, false);
                    default -> b[sof + 9] = (byte) rnd.nextInt(256);
                }
                return "jpeg sof";
            }
            if (starts(b, "RIFF") && b.length > 30 && indexOf(b, "WEBP") == 8) {
                return webp(b, rnd, dim);
            }
            int ispe = indexOf(b, "ispe");
            if (ispe > 0 && ispe + 16 <= b.length) {
                put(b, ispe + 8 + 4 * rnd.nextInt(2), 4, dim, false);
                return "heif ispe";
            }
            int p = rnd.nextInt(Math.min(b.length, 64));
            put(b, p, 4, dim, rnd.nextBoolean());
            return "int32 " + p + "=" + dim;
        }

        /** The size fields of whichever WebP chunks are there (24-bit minus-one, VP8's 14 bits, VP8L's 14 bits). */
        private static String webp(byte[] b, SplittableRandom rnd, long dim) {
            int vp8x = indexOf(b, "VP8X");
            int anmf = indexOf(b, "ANMF");
            int vp8 = indexOf(b, "VP8 ");
            int vp8l = indexOf(b, "VP8L");
            long m1 = Math.max(0, dim - 1);
            switch (rnd.nextInt(4)) {
                case 0 -> {
                    if (vp8x > 0 && vp8x + 18 <= b.length) {
                        if (rnd.nextBoolean()) {
                            b[vp8x + 8] = (byte) (rnd.nextInt(256) & 0x3e); // ICC, alpha, EXIF, XMP, animation
                            return "webp vp8x flags";
                        }
                        put(b, vp8x + 12 + 3 * rnd.nextInt(2), 3, m1, true);
                        return "webp vp8x canvas";
                    }
                }
                case 1 -> {
                    if (anmf > 0 && anmf + 20 <= b.length) {
                        put(b, anmf + 8 + 3 * rnd.nextInt(4), 3, rnd.nextBoolean() ? m1 : rnd.nextInt(64), true);
                        return "webp anmf frame";
                    }
                }
                case 2 -> {
                    if (vp8 > 0 && vp8 + 18 <= b.length) {
                        put(b, vp8 + 14 + 2 * rnd.nextInt(2), 2, dim & 0x3fff | (long) rnd.nextInt(4) << 14, true);
                        return "webp vp8 size";
                    }
                }
                default -> {
                    if (vp8l > 0 && vp8l + 13 <= b.length) {
                        long bits = (b[vp8l + 9] & 0xffL) | (b[vp8l + 10] & 0xff) << 8 | (b[vp8l + 11] & 0xff) << 16
                                | (b[vp8l + 12] & 0xffL) << 24;
                        int shift = rnd.nextBoolean() ? 0 : 14;
                        bits = bits & ~(0x3fffL << shift) | (m1 & 0x3fff) << shift;
                        put(b, vp8l + 9, 4, bits, true);
                        return "webp vp8l size";
                    }
                }
            }
            put(b, 4, 4, dim, true); // the RIFF size
            return "webp riff size";
        }

        private static int gifFrameDescriptor(byte[] b) {
            int flags = b[10] & 0xff;
            int p = 13 + ((flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0);
            while (p < b.length) {
                int tag = b[p] & 0xff;
                if (tag == 0x2c) {
                    return p + 9 < b.length ? p : -1;
                }
                if (tag != 0x21 || p + 2 >= b.length) {
                    return -1;
                }
                p += 2;
                while (p < b.length && b[p] != 0) { // data sub-blocks
                    p += 1 + (b[p] & 0xff);
                }
                p++;
            }
            return -1;
        }

        private static int jpegSof(byte[] b) {
            if (b.length < 4 || (b[0] & 0xff) != 0xff || (b[1] & 0xff) != 0xd8) {
                return -1;
            }
            int p = 2;
            while (p + 4 <= b.length && (b[p] & 0xff) == 0xff) {
                int m = b[p + 1] & 0xff;
                if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
                    return p;
                }
                p += 2 + ((b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff));
            }
            return -1;
        }

        private static boolean starts(byte[] b, String s) {
            return indexOf(Arrays.copyOf(b, Math.min(b.length, s.length())), s) == 0;
        }

        private static int indexOf(byte[] b, String s) {
            byte[] n = s.getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = 0; i + n.length <= Math.min(b.length, 4096); i++) {
                for (int k = 0; k < n.length; k++) {
                    if (b[i + k] != n[k]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }
}
