package io.imageclassifier.classify;

/**
 * A decoded 8-bit RGB image as a view on a byte array, so a decoder's own raster (for example the
 * BGR-interleaved bytes of a JPEG) can be handed on without copying. The sample of channel
 * {@code ch} (0 = red, 1 = green, 2 = blue) of pixel (x, y) is
 * {@code data[offset + y * scanlineStride + x * pixelStride + channelOffset(ch)]}, unsigned, sRGB
 * encoded.
 */
public record RgbImage(
        int width,
        int height,
        byte[] data,
        int offset,
        int pixelStride,
        int scanlineStride,
        int redOffset,
        int greenOffset,
        int blueOffset) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image must be at least 1x1, got " + width + "x" + height);
        }
        long last = offset + (long) (height - 1) * scanlineStride + (long) (width - 1) * pixelStride
                + Math.max(redOffset, Math.max(greenOffset, blueOffset));
        if (offset < 0 || pixelStride <= 0 || scanlineStride <= 0 || last >= data.length
                || Math.min(redOffset, Math.min(greenOffset, blueOffset)) < 0) {
            throw new IllegalArgumentException("raster layout does not fit its " + data.length + " bytes");
        }
    }

    /** A tightly packed RGBRGB... image. */
    public static RgbImage packed(int width, int height, byte[] rgb) {
        return new RgbImage(width, height, rgb, 0, 3, 3 * width, 0, 1, 2);
    }

    /** Pixel (x, y) as {@code 0xRRGGBB}: for tests and debugging, not for hot loops. */
    public int rgb(int x, int y) {
        int p = offset + y * scanlineStride + x * pixelStride;
        return (data[p + redOffset] & 0xff) << 16 | (data[p + greenOffset] & 0xff) << 8 | (data[p + blueOffset] & 0xff);
    }

    /** A packed copy with EXIF orientation {@code orientation} (1..8) undone; {@code this} for 1. */
    RgbImage oriented(int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return this;
        }
        boolean transpose = orientation >= 5;
        int ow = transpose ? height : width;
        int oh = transpose ? width : height;
        byte[] out = new byte[ow * oh * 3];
        int o = 0;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                // Source pixel shown at (x, y) after the rotation/flip the tag asks for.
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = width - 1 - x; sy = y; }            // mirror horizontal
                    case 3 -> { sx = width - 1 - x; sy = height - 1 - y; } // rotate 180
                    case 4 -> { sx = x; sy = height - 1 - y; }           // mirror vertical
                    case 5 -> { sx = y; sy = x; }                        // transpose
                    case 6 -> { sx = y; sy = height - 1 - x; }           // rotate 90 clockwise
                    case 7 -> { sx = width - 1 - y; sy = height - 1 - x; } // transverse
                    default -> { sx = width - 1 - y; sy = x; }           // 8: rotate 270 clockwise
                }
                int p = offset + sy * scanlineStride + sx * pixelStride;
                out[o++] = data[p + redOffset];
                out[o++] = data[p + greenOffset];
                out[o++] = data[p + blueOffset];
            }
        }
        return packed(ow, oh, out);
    }
}
