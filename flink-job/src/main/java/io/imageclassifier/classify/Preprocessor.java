package io.imageclassifier.classify;

import io.imageclassifier.classify.PreprocessSpec.ChannelOrder;
import io.imageclassifier.classify.PreprocessSpec.Layout;
import io.imageclassifier.classify.PreprocessSpec.Resize;

/**
 * Builds one image's input tensor data from an {@link RgbImage} as a {@link PreprocessSpec} says:
 * resize, crop, channel order, normalisation and layout, in one pass over the output pixels.
 *
 * <p><b>Geometry.</b> {@code shorter_side}: the image is scaled so its shorter side is
 * {@code S = resize_shorter_side} and the longer side {@code floor(S * long / short)}, then the
 * centre {@code height x width} is cropped, its top-left corner at
 * {@code rint((resized - crop) / 2)} (torchvision's {@code Resize(S)} + {@code CenterCrop}).
 * {@code stretch}: scaled straight to {@code width x height}. Only the cropped pixels are computed.
 *
 * <p><b>Bilinear.</b> Pixel centres are at half-integers: output pixel X of a side scaled from
 * {@code n} to {@code m} samples source coordinate {@code sx = (X + 0.5) * n / m - 0.5}, clamped
 * to {@code [0, n - 1]}; the value is the linear blend of the two neighbouring source pixels along
 * each axis. No antialiasing filter is applied when shrinking. This is OpenCV's
 * {@code cv2.resize(..., INTER_LINEAR)} (computed in float instead of its 11-bit fixed point).
 *
 * <p><b>Values.</b> Tensor channel {@code c} (in the spec's channel order) is
 * {@code (v * scale - mean[c]) / std[c]} with {@code v} the interpolated 0..255 sample.
 *
 * <p>Index and weight tables are reused between calls; nothing is allocated per pixel. Not
 * thread-safe; use one per task.
 */
public final class Preprocessor {

    /** 0..255 as floats: a table load costs less than an int-to-float conversion per sample. */
    private static final float[] LEVELS = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            LEVELS[i] = i;
        }
    }

    private final PreprocessSpec spec;
    private final int outW;
    private final int outH;
    private final boolean nchw;
    private final boolean bgr;
    private final float[] gain = new float[3];
    private final float[] bias = new float[3];

    // Per output column/row: byte offsets of the two source neighbours and the blend weight.
    private final int[] col0;
    private final int[] col1;
    private final float[] colW;
    private final int[] row0;
    private final int[] row1;
    private final float[] rowW;

    public Preprocessor(PreprocessSpec spec) {
        this.spec = spec;
        this.outW = spec.width();
        this.outH = spec.height();
        this.nchw = spec.layout() == Layout.NCHW;
        this.bgr = spec.channelOrder() == ChannelOrder.BGR;
        for (int c = 0; c < 3; c++) {
            double std = spec.std().get(c);
            gain[c] = (float) (spec.scale() / std);
            bias[c] = (float) (-spec.mean().get(c) / std);
        }
        col0 = new int[outW];
        col1 = new int[outW];
        colW = new float[outW];
        row0 = new int[outH];
        row1 = new int[outH];
        rowW = new float[outH];
    }

    public PreprocessSpec spec() {
        return spec;
    }

    /** Floats written per image. */
    public int tensorSize() {
        return spec.imageTensorSize();
    }

    /** Writes the image's tensor data to {@code out[offset, offset + tensorSize())}. */
    public void preprocess(RgbImage img, float[] out, int offset) {
        int w = img.width();
        int h = img.height();
        // Resized sizes and crop offsets in long: S * long / short overflows an int for extreme aspect ratios.
        long rw;
        long rh;
        if (spec.resize() == Resize.STRETCH) {
            rw = outW;
            rh = outH;
        } else {
            long s = spec.resizeShorterSide();
            if (w <= h) {
                rw = s;
                rh = s * h / w;
            } else {
                rh = s;
                rw = s * w / h;
            }
        }
        long left = (long) Math.rint((rw - outW) / 2.0);
        long top = (long) Math.rint((rh - outH) / 2.0);
        axis(w, rw, left, img.pixelStride(), col0, col1, colW);
        axis(h, rh, top, img.scanlineStride(), row0, row1, rowW);

        byte[] d = img.data();
        int base = img.offset();
        int c0 = bgr ? img.blueOffset() : img.redOffset();
        int c1 = img.greenOffset();
        int c2 = bgr ? img.redOffset() : img.blueOffset();
        float g0 = gain[0], g1 = gain[1], g2 = gain[2];
        float b0 = bias[0], b1 = bias[1], b2 = bias[2];
        int plane = outW * outH;
        // NCHW: channel planes; NHWC: interleaved. Index of (c, y, x) = offset + c * cStep + (y * outW + x) * pStep.
        int cStep = nchw ? plane : 1;
        int pStep = nchw ? 1 : 3;
        for (int y = 0; y < outH; y++) {
            int r0 = base + row0[y];
            int r1 = base + row1[y];
            float fy = rowW[y];
            int o = offset + y * outW * pStep;
            for (int x = 0; x < outW; x++, o += pStep) {
                int p00 = r0 + col0[x];
                int p01 = r0 + col1[x];
                int p10 = r1 + col0[x];
                int p11 = r1 + col1[x];
                float fx = colW[x];
                out[o] = lerp(d, p00 + c0, p01 + c0, p10 + c0, p11 + c0, fx, fy) * g0 + b0;
                out[o + cStep] = lerp(d, p00 + c1, p01 + c1, p10 + c1, p11 + c1, fx, fy) * g1 + b1;
                out[o + 2 * cStep] = lerp(d, p00 + c2, p01 + c2, p10 + c2, p11 + c2, fx, fy) * g2 + b2;
            }
        }
    }

    /** A new array holding this image's tensor data. */
    public float[] preprocess(RgbImage img) {
        float[] out = new float[tensorSize()];
        preprocess(img, out, 0);
        return out;
    }

    private static float lerp(byte[] d, int i00, int i01, int i10, int i11, float fx, float fy) {
        float a = LEVELS[d[i00] & 0xff];
        float b = LEVELS[d[i01] & 0xff];
        float c = LEVELS[d[i10] & 0xff];
        float e = LEVELS[d[i11] & 0xff];
        float top = a + (b - a) * fx;
        float bottom = c + (e - c) * fx;
        return top + (bottom - top) * fy;
    }

    /**
     * Fills the tables for one axis: source length {@code n}, resized length {@code m}, first
     * output sample at resized index {@code start}; offsets are multiplied by {@code stride}.
     */
    private static void axis(int n, long m, long start, int stride, int[] i0, int[] i1, float[] wt) {
        double ratio = (double) n / m;
        for (int k = 0; k < i0.length; k++) {
            double s = (start + k + 0.5) * ratio - 0.5;
            if (s < 0) {
                s = 0;
            }
            int a = (int) s;
            if (a >= n - 1) {
                i0[k] = (n - 1) * stride;
                i1[k] = (n - 1) * stride;
                wt[k] = 0f;
            } else {
                i0[k] = a * stride;
                i1[k] = (a + 1) * stride;
                wt[k] = (float) (s - a);
            }
        }
    }
}
