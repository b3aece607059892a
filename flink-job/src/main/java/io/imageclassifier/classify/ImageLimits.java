package io.imageclassifier.classify;

import java.io.Serializable;

/**
 * Upper bounds checked before an image is decoded: its size in bytes, and the width x height its
 * header declares (so a decompression bomb is rejected without allocating its pixels).
 */
public record ImageLimits(long maxBytes, long maxPixels) implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final long DEFAULT_MAX_BYTES = 40L * 1024 * 1024;
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

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
}
