package io.imageclassifier.classify;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import io.imageclassifier.record.DeadLetterReason;
import java.io.ByteArrayOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebP (lossy, lossless, with alpha; of an animation its first frame) through the system's libwebp
 * (Debian/Ubuntu {@code libwebp7}), called with JNA, where it is installed; elsewhere TwelveMonkeys'
 * Java reader decodes WebP as before.
 *
 * <p>Why not TwelveMonkeys everywhere: its lossless (VP8L) reader builds Huffman tables for every
 * prefix-code group a file declares before it decodes a pixel, and a hundred hostile bytes can
 * declare 65,536 groups: hundreds of MB of allocation and seconds of CPU per input, whatever the
 * image size (the decoder fuzz test found them). libwebp, fuzzed continuously upstream, rejects
 * those in microseconds ({@code WebpDecoderTest}).
 *
 * <p>Limits as everywhere, before decoding: the size from the bitstream header (for an animation
 * also the canvas) against the pixel and aspect-ratio limits. libwebp writes the whole image to
 * native memory (3 bytes per pixel, 4 with alpha, outside the Java heap); the copy to the heap is
 * subsampled as far as the preprocessing spec allows ({@link NativePixels}), and that copy is what
 * the decode budget counts, as for HEIF. Stateless apart from the library; safe to share.
 */
final class WebpDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(WebpDecoder.class);
    /** {@code WEBP_DECODER_ABI_VERSION} of libwebp 1.x: the library checks only the major byte. */
    private static final int DECODER_ABI_VERSION = 0x0209;
    /** {@code VP8StatusCode}s, for messages. */
    private static final String[] STATUS = {"ok", "out of memory", "invalid parameter", "bitstream error",
            "unsupported feature", "suspended", "user abort", "not enough data (truncated)"};
    private static final LibWebp LIB = load();

    private WebpDecoder() {}

    static boolean available() {
        return LIB != null;
    }

    /** RIFF container of type WEBP. */
    static boolean isWebp(byte[] b) {
        return b.length >= 16 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P';
    }

    /**
     * Decodes a WebP (of an animation the first frame), subsampled as far as {@code spec} allows
     * (null: full resolution); null when libwebp is not installed (the caller falls back to ImageIO).
     */
    static RgbImage decode(byte[] bytes, PreprocessSpec spec, ImageLimits limits) throws ImageRejectedException {
        return decode(bytes, spec, limits, NativeDecodeGate.JVM);
    }

    /** As above, holding the native memory it needs from {@code gate} while it decodes. */
    static RgbImage decode(byte[] bytes, PreprocessSpec spec, ImageLimits limits, NativeDecodeGate gate)
            throws ImageRejectedException {
        if (LIB == null) {
            return null;
        }
        try (Memory data = nativeCopy(bytes)) {
            Features f = features(data, bytes.length);
            if (f.has_animation != 0) {
                limits.checkDimensions("webp", f.width, f.height); // the canvas
                byte[] frame = firstFrame(bytes);
                try (Memory frameData = nativeCopy(frame)) {
                    Features ff = features(frameData, frame.length);
                    if (ff.has_animation != 0) {
                        throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "webp: first frame is animated");
                    }
                    return decodeStill(frameData, frame.length, ff, spec, limits, gate);
                }
            }
            return decodeStill(data, bytes.length, f, spec, limits, gate);
        }
    }

    private static RgbImage decodeStill(Memory data, int size, Features f, PreprocessSpec spec, ImageLimits limits,
            NativeDecodeGate gate) throws ImageRejectedException {
        limits.checkDimensions("webp", f.width, f.height);
        int s = spec == null ? 1 : spec.maxSubsampling(f.width, f.height);
        limits.checkDecodeBytes("webp", f.width, f.height,
                DecodeCost.rgb((f.width + s - 1) / s, (f.height + s - 1) / s, false).bytes(), "8-bit RGB");
        int channels = f.has_alpha != 0 ? 4 : 3;
        long stride = (long) channels * f.width;
        // The output, and for lossless (format 2) libwebp's own ARGB copy of the whole image.
        long nativeBytes = stride * f.height + (f.format == 2 ? 4L * f.width * f.height : 0);
        try (NativeDecodeGate.Lease lease = gate.acquire(nativeBytes); Memory pixels = new Memory(stride * f.height)) {
            Pointer done = channels == 4
                    ? LIB.WebPDecodeRGBAInto(data, size, pixels, pixels.size(), (int) stride)
                    : LIB.WebPDecodeRGBInto(data, size, pixels, pixels.size(), (int) stride);
            if (done == null) {
                throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR,
                        "webp: cannot decode " + f.width + "x" + f.height + " (truncated or corrupt)");
            }
            return NativePixels.copy(pixels, f.width, f.height, stride, channels, s);
        }
    }

    private static Features features(Memory data, int size) throws ImageRejectedException {
        Features f = new Features();
        int status = LIB.WebPGetFeaturesInternal(data, size, f, DECODER_ABI_VERSION);
        if (status != 0) {
            String what = status > 0 && status < STATUS.length ? STATUS[status] : "status " + status;
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "webp: cannot read the header: " + what);
        }
        return f;
    }

    private static Memory nativeCopy(byte[] bytes) {
        Memory m = new Memory(bytes.length);
        m.write(0, bytes, 0, bytes.length);
        return m;
    }

    /**
     * The first frame of an animated WebP as a still WebP: the bitstream chunk (VP8 or VP8L) of the
     * first {@code ANMF} chunk, with its {@code ALPH} chunk under a {@code VP8X} header when it has
     * one. The frame alone, not composited onto the canvas: for classification that is the picture.
     */
    static byte[] firstFrame(byte[] b) throws ImageRejectedException {
        int anmf = findChunk(b, 12, b.length, "ANMF");
        if (anmf < 0) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "webp: animation without frames");
        }
        int payload = anmf + 8;
        int end = chunkEnd(b, anmf, b.length);
        if (payload + 16 > end) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "webp: truncated frame header");
        }
        int w = 1 + u24(b, payload + 6);
        int h = 1 + u24(b, payload + 9);
        int alph = findChunk(b, payload + 16, end, "ALPH");
        int bitstream = findChunk(b, payload + 16, end, "VP8 ");
        boolean lossless = bitstream < 0;
        if (lossless) {
            bitstream = findChunk(b, payload + 16, end, "VP8L");
        }
        if (bitstream < 0) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "webp: first frame has no image data");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {'W', 'E', 'B', 'P'});
        if (alph >= 0 && !lossless) { // VP8L carries its own alpha
            body.writeBytes(new byte[] {'V', 'P', '8', 'X'});
            le32(body, 10);
            body.writeBytes(new byte[] {0x10, 0, 0, 0}); // flags: alpha
            le24(body, w - 1);
            le24(body, h - 1);
            body.write(b, alph, chunkEnd(b, alph, end) - alph);
        }
        body.write(b, bitstream, chunkEnd(b, bitstream, end) - bitstream);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.size() + 8);
        out.writeBytes(new byte[] {'R', 'I', 'F', 'F'});
        le32(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** Offset of the first chunk of that fourcc among the chunks from {@code from} to {@code end}, or -1. */
    private static int findChunk(byte[] b, int from, int end, String fourcc) {
        int p = from;
        while (p + 8 <= end) {
            if (b[p] == fourcc.charAt(0) && b[p + 1] == fourcc.charAt(1) && b[p + 2] == fourcc.charAt(2)
                    && b[p + 3] == fourcc.charAt(3)) {
                return p;
            }
            p = chunkEnd(b, p, end);
        }
        return -1;
    }

    /** End of the chunk at {@code p} (header, payload, padding to even), at most {@code end}. */
    private static int chunkEnd(byte[] b, int p, int end) {
        long size = (b[p + 4] & 0xffL) | (b[p + 5] & 0xff) << 8 | (b[p + 6] & 0xff) << 16 | (b[p + 7] & 0xffL) << 24;
        return (int) Math.min(end, p + 8L + size + (size & 1));
    }

    private static int u24(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16;
    }

    private static void le24(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >> 8);
        out.write(v >> 16);
    }

    private static void le32(ByteArrayOutputStream out, int v) {
        le24(out, v);
        out.write(v >> 24);
    }

    private static LibWebp load() {
        Throwable last = null;
        for (String name : new String[] {"webp", "libwebp.so.7"}) {
            try {
                LibWebp lib = Native.load(name, LibWebp.class);
                int v = lib.WebPGetDecoderVersion();
                LOG.info("WebP decoding: libwebp {}.{}.{}", v >> 16, v >> 8 & 0xff, v & 0xff);
                return lib;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                last = e;
            }
        }
        LOG.info("WebP decoding: TwelveMonkeys' Java reader (libwebp is not installed; Debian/Ubuntu: apt-get install"
                + " libwebp7): {}", String.valueOf(last.getMessage()).lines().findFirst().orElse(""));
        return null;
    }

    /** libwebp's decoding API ({@code webp/decode.h}), the calls this class makes. */
    interface LibWebp extends Library {
        int WebPGetDecoderVersion();

        int WebPGetFeaturesInternal(Pointer data, long size, Features features, int version);

        Pointer WebPDecodeRGBAInto(Pointer data, long size, Pointer output, long outputSize, int stride);

        Pointer WebPDecodeRGBInto(Pointer data, long size, Pointer output, long outputSize, int stride);
    }

    /** {@code WebPBitstreamFeatures}. */
    @Structure.FieldOrder({"width", "height", "has_alpha", "has_animation", "format", "pad"})
    public static final class Features extends Structure {
        public int width;
        public int height;
        public int has_alpha;
        public int has_animation;
        public int format;
        public int[] pad = new int[5];
    }
}
