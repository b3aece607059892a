package io.imageclassifier.classify;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import io.imageclassifier.record.DeadLetterReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PNG through the system's libspng (Debian/Ubuntu {@code libspng0}), called with JNA, where it is
 * installed; elsewhere ImageIO decodes PNGs as before. libspng reports every error as a return code
 * (libpng needs a {@code longjmp} out of its error callback, which a JVM cannot give it), checks
 * every chunk's CRC and is fuzzed upstream.
 *
 * <p>Pixels as on the ImageIO path: 16-bit samples reduced to their high byte, palettes and grey
 * expanded to RGB, alpha and {@code tRNS} transparency composited on white; gamma and ICC chunks
 * are not applied (as PIL, the model's reference preprocessing, does not). Limits as everywhere,
 * before decoding: the size from {@code IHDR} against the pixel and aspect-ratio limits, the heap
 * copy (subsampled as far as the preprocessing spec allows, {@link NativePixels}) against the
 * decode budget. libspng keeps ancillary chunks up to {@value #CHUNK_LIMIT_BYTES} bytes each and
 * {@value #CHUNK_CACHE_BYTES} in all and skips larger ones, so metadata cannot make it hold
 * gigabytes (nothing here asks it to inflate a compressed text or ICC chunk). Stateless apart from
 * the library; safe to share.
 */
final class PngDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(PngDecoder.class);
    static final long CHUNK_LIMIT_BYTES = 16L << 20;
    static final long CHUNK_CACHE_BYTES = 64L << 20;
    // spng.h
    private static final int FMT_RGBA8 = 1;
    private static final int FMT_RGB8 = 4;
    private static final int DECODE_TRNS = 1;
    private static final int COLOR_GRAY_ALPHA = 4;
    private static final int COLOR_RGB_ALPHA = 6;
    /** {@code SPNG_ECHUNKAVAIL}: the chunk asked for is not in the file (the 0.7 ABI's value). */
    private static final int ERR_CHUNK_NOT_AVAILABLE = 73;
    private static final LibSpng LIB = load();

    private PngDecoder() {}

    static boolean available() {
        return LIB != null;
    }

    /** The PNG signature. */
    static boolean isPng(byte[] b) {
        return b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[4] == '\r' && b[5] == '\n' && b[6] == 0x1a && b[7] == '\n';
    }

    /**
     * Decodes a PNG, subsampled as far as {@code spec} allows (null: full resolution), holding the
     * native memory it needs from {@code gate}; null when libspng is not installed (the caller falls
     * back to ImageIO).
     */
    static RgbImage decode(byte[] bytes, PreprocessSpec spec, ImageLimits limits, NativeDecodeGate gate)
            throws ImageRejectedException {
        if (LIB == null) {
            return null;
        }
        Pointer ctx = LIB.spng_ctx_new(0);
        if (ctx == null) {
            throw new OutOfMemoryError("spng_ctx_new failed");
        }
        // struct spng_ihdr: uint32 width, height; uint8 bit depth, colour type, compression, filter, interlace
        try (Memory data = new Memory(bytes.length); Memory ihdr = new Memory(16)) {
            data.write(0, bytes, 0, bytes.length);
            check(LIB.spng_set_chunk_limits(ctx, CHUNK_LIMIT_BYTES, CHUNK_CACHE_BYTES), "cannot set limits");
            check(LIB.spng_set_png_buffer(ctx, data, bytes.length), "cannot read the header");
            check(LIB.spng_get_ihdr(ctx, ihdr), "cannot read the header");
            int w = ihdr.getInt(0);
            int h = ihdr.getInt(4);
            int colorType = ihdr.getByte(9) & 0xff;
            // A negative int here is a width above 2^31, which no limit allows either.
            limits.checkDimensions("png", w < 0 ? Integer.MAX_VALUE : w, h < 0 ? Integer.MAX_VALUE : h);
            int s = spec == null ? 1 : spec.maxSubsampling(w, h);
            limits.checkDecodeBytes("png", w, h,
                    DecodeCost.rgb((w + s - 1) / s, (h + s - 1) / s, false).bytes(), "8-bit RGB");
            boolean alpha = colorType == COLOR_GRAY_ALPHA || colorType == COLOR_RGB_ALPHA || hasTrns(ctx);
            int fmt = alpha ? FMT_RGBA8 : FMT_RGB8;
            LongByReference size = new LongByReference();
            check(LIB.spng_decoded_image_size(ctx, fmt, size), "cannot decode " + w + "x" + h);
            long len = size.getValue();
            // The output, and libspng's row buffers (a few rows of up to 8 bytes per pixel).
            try (NativeDecodeGate.Lease lease = gate.acquire(len + 32L * w); Memory pixels = new Memory(len)) {
                check(LIB.spng_decode_image(ctx, pixels, len, fmt, alpha ? DECODE_TRNS : 0),
                        "cannot decode " + w + "x" + h);
                int channels = alpha ? 4 : 3;
                return NativePixels.copy(pixels, w, h, (long) channels * w, channels, s);
            }
        } finally {
            LIB.spng_ctx_free(ctx);
        }
    }

    /**
     * Whether the image has a {@code tRNS} chunk (transparency without an alpha channel). This reads
     * the chunks before the image data, so an error in those (a bad CRC) is reported here.
     */
    private static boolean hasTrns(Pointer ctx) throws ImageRejectedException {
        // struct spng_trns: five uint16 (gray, red, green, blue, padding), uint32 count, uint8[256]
        try (Memory trns = new Memory(272)) {
            int err = LIB.spng_get_trns(ctx, trns);
            if (err == ERR_CHUNK_NOT_AVAILABLE) {
                return false;
            }
            check(err, "cannot read the chunks before the image data");
            return true;
        }
    }

    private static void check(int err, String what) throws ImageRejectedException {
        if (err != 0) {
            String msg = LIB.spng_strerror(err);
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR,
                    "png: " + what + ": " + (msg == null ? "error " + err : msg));
        }
    }

    private static LibSpng load() {
        Throwable last = null;
        for (String name : new String[] {"spng", "libspng.so.0"}) {
            try {
                LibSpng lib = Native.load(name, LibSpng.class);
                LOG.info("PNG decoding: libspng {}", lib.spng_version_string());
                return lib;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                last = e;
            }
        }
        LOG.info("PNG decoding: ImageIO (libspng is not installed; Debian/Ubuntu: apt-get install libspng0): {}",
                String.valueOf(last.getMessage()).lines().findFirst().orElse(""));
        return null;
    }

    /** libspng's API ({@code spng.h}), the calls this class makes. */
    interface LibSpng extends Library {
        String spng_version_string();

        Pointer spng_ctx_new(int flags);

        void spng_ctx_free(Pointer ctx);

        int spng_set_chunk_limits(Pointer ctx, long chunkSize, long cacheSize);

        int spng_set_png_buffer(Pointer ctx, Pointer buf, long size);

        int spng_get_ihdr(Pointer ctx, Pointer ihdr);

        int spng_get_trns(Pointer ctx, Pointer trns);

        int spng_decoded_image_size(Pointer ctx, int fmt, LongByReference len);

        int spng_decode_image(Pointer ctx, Pointer out, long len, int fmt, int flags);

        String spng_strerror(int err);
    }
}
