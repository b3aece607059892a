package io.imageclassifier.classify;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DataBufferUShort;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * Turns a decoded {@link BufferedImage} into an {@link RgbImage} by reading its raster directly
 * (no per-pixel {@code getRGB}): the common 8-bit RGB and grey layouts are wrapped without a copy;
 * palette, packed-int, 16-bit and alpha layouts are converted in one pass. Anything else (e.g. an
 * embedded non-sRGB ICC colour space) falls back to row-wise {@code getRGB}, which colour-converts.
 *
 * <p>Alpha is composited on white ({@code out = c * a + 255 * (1 - a)}), so transparent areas look
 * like a white page rather than whatever colour the encoder left under them. Grey samples are used
 * as they are (replicated to R, G and B), as PIL does; Java's own grey-to-RGB conversion would treat
 * them as linear light and brighten them.
 */
final class RasterConverter {

    private RasterConverter() {}

    static RgbImage toRgb(BufferedImage img) {
        Raster r = img.getRaster();
        ColorModel cm = img.getColorModel();
        DataBuffer db = r.getDataBuffer();
        int w = img.getWidth();
        int h = img.getHeight();
        int colorType = cm.getColorSpace().getType();
        boolean srgbOrGrey = cm.getColorSpace().isCS_sRGB() || colorType == ColorSpace.TYPE_GRAY;

        if (cm instanceof ComponentColorModel && srgbOrGrey && db.getNumBanks() == 1
                && r.getSampleModel() instanceof ComponentSampleModel sm && !cm.isAlphaPremultiplied()) {
            int bands = sm.getNumBands();
            int colours = cm.getNumColorComponents();
            boolean alpha = cm.hasAlpha();
            int[] bo = sm.getBandOffsets();
            int ps = sm.getPixelStride();
            int ss = sm.getScanlineStride();
            int base = db.getOffset() - r.getSampleModelTranslateY() * ss - r.getSampleModelTranslateX() * ps;
            if (db instanceof DataBufferByte bytes) {
                byte[] d = bytes.getData();
                if (!alpha && colours == 3 && bands == 3) {
                    return new RgbImage(w, h, d, base, ps, ss, bo[0], bo[1], bo[2]);
                }
                if (!alpha && colours == 1 && bands == 1) {
                    return new RgbImage(w, h, d, base, ps, ss, bo[0], bo[0], bo[0]);
                }
                if (alpha && bands == colours + 1) {
                    return compositeBytes(d, w, h, base, ps, ss, bo, colours);
                }
            } else if (db instanceof DataBufferUShort shorts && bands == colours + (alpha ? 1 : 0)) {
                return convertShorts(shorts.getData(), w, h, base, ps, ss, bo, colours, alpha);
            }
        }
        if (cm instanceof IndexColorModel icm) {
            return convertIndexed(r, icm, w, h);
        }
        if (cm instanceof DirectColorModel dcm && cm.getColorSpace().isCS_sRGB() && db instanceof DataBufferInt ints
                && db.getNumBanks() == 1 && r.getSampleModel() instanceof SinglePixelPackedSampleModel sm
                && dcm.getRedMask() == 0xff0000 && dcm.getGreenMask() == 0xff00 && dcm.getBlueMask() == 0xff) {
            int ss = sm.getScanlineStride();
            int base = db.getOffset() - r.getSampleModelTranslateY() * ss - r.getSampleModelTranslateX();
            return convertInts(ints.getData(), w, h, base, ss, dcm.hasAlpha(), dcm.isAlphaPremultiplied());
        }
        return convertViaGetRgb(img, w, h);
    }

    private static RgbImage compositeBytes(byte[] d, int w, int h, int base, int ps, int ss, int[] bo, int colours) {
        byte[] out = new byte[w * h * 3];
        int o = 0;
        int a = bo[colours];
        int r = bo[0];
        int g = colours == 3 ? bo[1] : bo[0];
        int b = colours == 3 ? bo[2] : bo[0];
        for (int y = 0; y < h; y++) {
            int p = base + y * ss;
            for (int x = 0; x < w; x++, p += ps) {
                int alpha = d[p + a] & 0xff;
                out[o++] = onWhite(d[p + r] & 0xff, alpha);
                out[o++] = onWhite(d[p + g] & 0xff, alpha);
                out[o++] = onWhite(d[p + b] & 0xff, alpha);
            }
        }
        return RgbImage.packed(w, h, out);
    }

    private static RgbImage convertShorts(short[] d, int w, int h, int base, int ps, int ss, int[] bo, int colours,
            boolean hasAlpha) {
        byte[] out = new byte[w * h * 3];
        int o = 0;
        int r = bo[0];
        int g = colours == 3 ? bo[1] : bo[0];
        int b = colours == 3 ? bo[2] : bo[0];
        for (int y = 0; y < h; y++) {
            int p = base + y * ss;
            for (int x = 0; x < w; x++, p += ps) {
                int alpha = hasAlpha ? to8(d[p + bo[colours]]) : 255;
                out[o++] = onWhite(to8(d[p + r]), alpha);
                out[o++] = onWhite(to8(d[p + g]), alpha);
                out[o++] = onWhite(to8(d[p + b]), alpha);
            }
        }
        return RgbImage.packed(w, h, out);
    }

    private static RgbImage convertIndexed(Raster r, IndexColorModel icm, int w, int h) {
        int n = icm.getMapSize();
        byte[] pr = new byte[n];
        byte[] pg = new byte[n];
        byte[] pb = new byte[n];
        for (int i = 0; i < n; i++) {
            int argb = icm.getRGB(i);
            int alpha = argb >>> 24;
            pr[i] = onWhite(argb >> 16 & 0xff, alpha);
            pg[i] = onWhite(argb >> 8 & 0xff, alpha);
            pb[i] = onWhite(argb & 0xff, alpha);
        }
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        int o = 0;
        int minX = r.getMinX();
        int minY = r.getMinY();
        for (int y = 0; y < h; y++) {
            r.getSamples(minX, minY + y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int i = Math.min(row[x], n - 1);
                out[o++] = pr[i];
                out[o++] = pg[i];
                out[o++] = pb[i];
            }
        }
        return RgbImage.packed(w, h, out);
    }

    private static RgbImage convertInts(int[] d, int w, int h, int base, int ss, boolean hasAlpha, boolean premultiplied) {
        byte[] out = new byte[w * h * 3];
        int o = 0;
        for (int y = 0; y < h; y++) {
            int p = base + y * ss;
            for (int x = 0; x < w; x++) {
                int argb = d[p + x];
                int alpha = hasAlpha ? argb >>> 24 : 255;
                if (premultiplied) {
                    int white = 255 - alpha;
                    out[o++] = (byte) Math.min(255, (argb >> 16 & 0xff) + white);
                    out[o++] = (byte) Math.min(255, (argb >> 8 & 0xff) + white);
                    out[o++] = (byte) Math.min(255, (argb & 0xff) + white);
                } else {
                    out[o++] = onWhite(argb >> 16 & 0xff, alpha);
                    out[o++] = onWhite(argb >> 8 & 0xff, alpha);
                    out[o++] = onWhite(argb & 0xff, alpha);
                }
            }
        }
        return RgbImage.packed(w, h, out);
    }

    private static RgbImage convertViaGetRgb(BufferedImage img, int w, int h) {
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w); // non-premultiplied sRGB ARGB
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int alpha = argb >>> 24;
                out[o++] = onWhite(argb >> 16 & 0xff, alpha);
                out[o++] = onWhite(argb >> 8 & 0xff, alpha);
                out[o++] = onWhite(argb & 0xff, alpha);
            }
        }
        return RgbImage.packed(w, h, out);
    }

    /** {@code c * a + 255 * (1 - a)} with a = alpha / 255, rounded. */
    static byte onWhite(int c, int alpha) {
        if (alpha == 255) {
            return (byte) c;
        }
        return (byte) ((c * alpha + 255 * (255 - alpha) + 127) / 255);
    }

    /** 16-bit sample to 8 bits, rounded. */
    private static int to8(short s) {
        return ((s & 0xffff) * 255 + 32767) / 65535;
    }
}
