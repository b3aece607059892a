package io.imageclassifier.classify;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import io.imageclassifier.record.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * HEIC (HEVC in a HEIF container: what iPhones save by default) and AVIF (AV1 in HEIF) through the
 * system's libheif ({@link LibHeif}), with the primary image's rotation and mirroring applied.
 * Where libheif is not installed these images are {@code UNSUPPORTED_FORMAT} with a message naming
 * the missing library; nothing else changes.
 *
 * <p>Same limits as every other format, checked before anything is decoded: the width x height of
 * every {@code ispe} box and of the primary image, its aspect ratio, and libheif's own limit of
 * {@value #MAX_SIDE} pixels a side (so an oversized grid fails inside libheif at parse time). libheif decodes the whole
 * image in native memory (YCbCr planes and an interleaved RGB copy: about 6 bytes per pixel, up to
 * 10 for 10-bit images, outside the Java heap); this class copies it to the heap with the same
 * source subsampling as the ImageIO path, so what is budgeted ({@link ImageLimits#maxDecodeBytes()})
 * is that copy. Stateless apart from the library; safe to share.
 */
final class HeifDecoder {

    private static final LibHeif.Loaded LIBHEIF = LibHeif.Loaded.load();
    /**
     * libheif's own limit (per side in 1.15, side squared in later versions): bounds the native
     * memory a grid canvas can claim, which no box this class reads declares.
     */
    static final int MAX_SIDE = 16384;
    /** ISO BMFF brands of HEIF still images (HEVC, AV1, or the generic image brands). */
    private static final Set<String> BRANDS = Set.of("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs",
            "mif1", "msf1", "avif", "avis");

    private HeifDecoder() {}

    /** Whether libheif could be loaded. */
    static boolean available() {
        return LIBHEIF.lib() != null;
    }

    /** The format name ({@code heic} or {@code avif}) when the bytes start with a HEIF {@code ftyp} box, else null. */
    static String format(byte[] b) {
        if (b.length < 16 || b[4] != 'f' || b[5] != 't' || b[6] != 'y' || b[7] != 'p') {
            return null;
        }
        long size = u32(b, 0);
        int end = (int) Math.min(b.length, Math.max(16, size));
        boolean heif = false;
        boolean avif = false;
        for (int p = 8; p + 4 <= end; p += p == 8 ? 8 : 4) { // major brand, minor version, compatible brands
            String brand = new String(b, p, 4, StandardCharsets.ISO_8859_1);
            heif |= BRANDS.contains(brand);
            avif |= brand.startsWith("avi");
        }
        return heif ? (avif ? "avif" : "heic") : null;
    }

    /** Decodes the primary image, subsampled as far as {@code spec} allows (null: full resolution). */
    static RgbImage decode(byte[] bytes, String format, PreprocessSpec spec, ImageLimits limits,
            NativeDecodeGate gate) throws ImageRejectedException {
        LibHeif lib = LIBHEIF.lib();
        if (lib == null) {
            throw new ImageRejectedException(DeadLetterReason.UNSUPPORTED_FORMAT, format + " needs " + LIBHEIF.missing());
        }
        checkDeclaredSizes(bytes, format, limits);
        Pointer ctx = lib.heif_context_alloc();
        try {
            lib.heif_context_set_maximum_image_size_limit(ctx, MAX_SIDE);
            check(lib.heif_context_read_from_memory(ctx, bytes, bytes.length, null), format, "cannot read the container");
            PointerByReference handleRef = new PointerByReference();
            check(lib.heif_context_get_primary_image_handle(ctx, handleRef), format, "no primary image");
            Pointer handle = handleRef.getValue();
            try {
                return decodeHandle(lib, handle, format, spec, limits, gate);
            } finally {
                lib.heif_image_handle_release(handle);
            }
        } finally {
            lib.heif_context_free(ctx);
        }
    }

    private static RgbImage decodeHandle(LibHeif lib, Pointer handle, String format, PreprocessSpec spec,
            ImageLimits limits, NativeDecodeGate gate) throws ImageRejectedException {
        int w = lib.heif_image_handle_get_width(handle);
        int h = lib.heif_image_handle_get_height(handle);
        limits.checkDimensions(format, w, h);
        int s = spec == null ? 1 : spec.maxSubsampling(w, h);
        int ow = (w + s - 1) / s;
        int oh = (h + s - 1) / s;
        limits.checkDecodeBytes(format, w, h, DecodeCost.rgb(ow, oh, false).bytes(), "8-bit RGB");
        boolean alpha = lib.heif_image_handle_has_alpha_channel(handle) != 0;
        // YCbCr planes plus the interleaved RGB(A) result: ~6 bytes per pixel, ~10 above 8 bits.
        long nativeBytes = (long) w * h * (lib.heif_image_handle_get_luma_bits_per_pixel(handle) > 8 ? 10 : 6);
        try (NativeDecodeGate.Lease lease = gate.acquire(nativeBytes)) {
            return decodeAndCopy(lib, handle, format, s, alpha);
        }
    }

    private static RgbImage decodeAndCopy(LibHeif lib, Pointer handle, String format, int s, boolean alpha)
            throws ImageRejectedException {
        Pointer options = lib.heif_decoding_options_alloc();
        PointerByReference imageRef = new PointerByReference();
        try {
            if (options.getByte(0) >= 2) {
                options.setByte(LibHeif.OPTION_CONVERT_HDR_TO_8BIT, (byte) 1); // 10-bit HDR to 8-bit RGB
            }
            check(lib.heif_decode_image(handle, imageRef, LibHeif.COLORSPACE_RGB,
                    alpha ? LibHeif.CHROMA_INTERLEAVED_RGBA : LibHeif.CHROMA_INTERLEAVED_RGB, options), format, "cannot decode");
        } finally {
            lib.heif_decoding_options_free(options);
        }
        Pointer image = imageRef.getValue();
        try {
            return copy(lib, image, format, s, alpha ? 4 : 3);
        } finally {
            lib.heif_image_release(image);
        }
    }

    /** The decoded plane, subsampled onto the heap ({@link NativePixels}). */
    private static RgbImage copy(LibHeif lib, Pointer image, String format, int s, int channels)
            throws ImageRejectedException {
        IntByReference strideRef = new IntByReference();
        Pointer plane = lib.heif_image_get_plane_readonly(image, LibHeif.CHANNEL_INTERLEAVED, strideRef);
        int pw = lib.heif_image_get_width(image, LibHeif.CHANNEL_INTERLEAVED);
        int ph = lib.heif_image_get_height(image, LibHeif.CHANNEL_INTERLEAVED);
        int stride = strideRef.getValue();
        if (plane == null || pw <= 0 || ph <= 0 || stride < pw * channels) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, format + ": decoded image has no usable"
                    + " RGB plane (" + pw + "x" + ph + ", stride " + stride + ")");
        }
        // Rotation by 90 degrees swaps the sides the header declared; trust the decoded plane's own size.
        return NativePixels.copy(plane, pw, ph, stride, channels, s);
    }

    /**
     * Every {@code ispe} (image size) box in the top-level {@code meta} box against the pixel limit.
     * The primary handle's size is after cropping ({@code clap}), which a hostile file can make tiny
     * while the coded image it crops from is huge; libheif decodes the whole coded image first.
     */
    static void checkDeclaredSizes(byte[] b, String format, ImageLimits limits) throws ImageRejectedException {
        int p = 0;
        while (p + 8 <= b.length) {
            long size = u32(b, p);
            boolean meta = b[p + 4] == 'm' && b[p + 5] == 'e' && b[p + 6] == 't' && b[p + 7] == 'a';
            int end = size < 8 ? b.length : (int) Math.min(b.length, p + size);
            if (meta) {
                for (int q = p + 8; q + 16 <= end; q++) {
                    if (b[q] == 'i' && b[q + 1] == 's' && b[q + 2] == 'p' && b[q + 3] == 'e') {
                        long w = u32(b, q + 8);
                        long h = u32(b, q + 12);
                        if (w * h > limits.maxPixels()) {
                            throw new ImageRejectedException(DeadLetterReason.TOO_MANY_PIXELS, format + " declares a coded image of "
                                    + w + "x" + h + " (ispe box), above the limit of " + limits.maxPixels() + " pixels");
                        }
                    }
                }
                return;
            }
            p = end;
        }
    }

    private static long u32(byte[] b, int p) {
        return (b[p] & 0xffL) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
    }

    private static void check(LibHeif.HeifError error, String format, String what) throws ImageRejectedException {
        if (!error.ok()) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, format + ": " + what + ": " + error.text());
        }
    }
}
