package io.imageclassifier.classify;

import io.imageclassifier.record.DeadLetterReason;
import java.io.Serializable;
import java.util.Locale;

/**
 * Upper bounds checked before an image is decoded, so that hostile input is refused before it
 * costs anything: its size in bytes; the width x height its header declares (so a decompression
 * bomb is rejected without allocating its pixels); an aspect ratio of at most
 * {@value #MAX_ASPECT_RATIO}:1 (a 49,000,000 x 1 image is within the pixel limit, but cannot be
 * downsampled while decoding and is no photo); and the memory one decode may allocate for its
 * pixels, {@link #maxDecodeBytes()}, estimated from the header's sample layout (16-bit samples,
 * extra bands, alpha) at the resolution the decoder will actually produce.
 */
public record ImageLimits(long maxBytes, long maxPixels) implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final long DEFAULT_MAX_BYTES = 40L * 1024 * 1024;
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    /** Longest side over shortest side; 360-degree panoramas are 2:1, long web strips ~20:1. */
    public static final int MAX_ASPECT_RATIO = 100;
    /**
     * Bytes one decode may allocate per pixel of {@link #maxPixels()}: an 8-bit RGBA image of the
     * largest permitted size, 200 MB with the defaults.
     */
    public static final int DECODE_BYTES_PER_PIXEL = 4;

    public ImageLimits {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be > 0, got " + maxBytes);
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be > 0, got " + maxPixels);
        }
    }

    /** 40 MiB and 50,000,000 pixels. */
    public static ImageLimits defaults() {
        return new ImageLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS);
    }

    /** The most bytes one decode may allocate for pixel data (raster, conversion copy, row buffers). */
    public long maxDecodeBytes() {
        return DECODE_BYTES_PER_PIXEL * maxPixels;
    }

    /** Rejects a declared size that is empty, above the pixel limit, or of an absurd aspect ratio. */
    void checkDimensions(String format, long w, long h) throws ImageRejectedException {
        if (w <= 0 || h <= 0) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR,
                    format + " header declares an empty image " + w + "x" + h);
        }
        if (w * h > maxPixels) {
            throw new ImageRejectedException(DeadLetterReason.TOO_MANY_PIXELS, format + " declares " + w + "x" + h
                    + " = " + w * h + " pixels, above the limit of " + maxPixels);
        }
        if (Math.max(w, h) > MAX_ASPECT_RATIO * Math.min(w, h)) {
            throw new ImageRejectedException(DeadLetterReason.TOO_MANY_PIXELS, format + " declares " + w + "x" + h
                    + ", an aspect ratio above the limit of " + MAX_ASPECT_RATIO + ":1");
        }
    }

    /** Rejects a decode whose estimated allocation is above {@link #maxDecodeBytes()}. */
    void checkDecodeBytes(String format, long w, long h, long bytes, String layout) throws ImageRejectedException {
        if (bytes > maxDecodeBytes()) {
            throw new ImageRejectedException(DeadLetterReason.TOO_MANY_PIXELS, String.format(Locale.ROOT,
                    "%s %dx%d (%s) would need %.1f MB to decode, above the limit of %.1f MB (%d bytes per pixel of"
                    + " the pixel limit)", format, w, h, layout, bytes / 1e6, maxDecodeBytes() / 1e6,
                    DECODE_BYTES_PER_PIXEL));
        }
    }
}
