package io.imageclassifier.classify;

import com.sun.jna.Pointer;

/**
 * Copies an interleaved 8-bit RGB or RGBA image that a native decoder left in native memory onto
 * the heap as packed RGB: every s-th pixel of every s-th row, from the middle of each s x s block
 * (the ImageIO path's source subsampling), alpha composited on white.
 */
final class NativePixels {

    private NativePixels() {}

    static RgbImage copy(Pointer plane, int w, int h, long stride, int channels, int s) {
        int offset = (s - 1) / 2;
        int ow = Math.max(1, (w - offset + s - 1) / s);
        int oh = Math.max(1, (h - offset + s - 1) / s);
        byte[] out = new byte[ow * oh * 3];
        byte[] row = new byte[w * channels];
        int o = 0;
        for (int y = 0; y < oh; y++) {
            plane.read(Math.min(h - 1, offset + (long) y * s) * stride, row, 0, row.length);
            for (int x = 0; x < ow; x++) {
                int p = Math.min(w - 1, offset + x * s) * channels;
                int a = channels == 4 ? row[p + 3] & 0xff : 255;
                out[o++] = RasterConverter.onWhite(row[p] & 0xff, a);
                out[o++] = RasterConverter.onWhite(row[p + 1] & 0xff, a);
                out[o++] = RasterConverter.onWhite(row[p + 2] & 0xff, a);
            }
        }
        return RgbImage.packed(ow, oh, out);
    }
}
