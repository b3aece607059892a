package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.imageclassifier.classify.PreprocessSpec.ChannelOrder;
import io.imageclassifier.classify.PreprocessSpec.Interpolation;
import io.imageclassifier.classify.PreprocessSpec.Layout;
import io.imageclassifier.classify.PreprocessSpec.OutputKind;
import io.imageclassifier.classify.PreprocessSpec.Resize;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PreprocessorTest {

    private static final List<Double> MEAN = List.of(0.485, 0.456, 0.406);
    private static final List<Double> STD = List.of(0.229, 0.224, 0.225);

    /** 4 wide, 3 high; pixel (x, y) = (R, G, B) = (10x + y, 100 + 20y + x, 250 - 30x - 7y). */
    private static final RgbImage IMAGE = image4x3();

    private static RgbImage image4x3() {
        byte[] rgb = new byte[4 * 3 * 3];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                int p = (y * 4 + x) * 3;
                rgb[p] = (byte) (10 * x + y);
                rgb[p + 1] = (byte) (100 + 20 * y + x);
                rgb[p + 2] = (byte) (250 - 30 * x - 7 * y);
            }
        }
        return RgbImage.packed(4, 3, rgb);
    }

    private static PreprocessSpec spec(Layout layout, ChannelOrder order, int h, int w, Resize resize, int shorter) {
        return new PreprocessSpec(1, "test", "input", "output", layout, order, h, w, resize, shorter,
                Interpolation.BILINEAR, 1.0 / 255, MEAN, STD, OutputKind.LOGITS, null, null);
    }

    private static double norm(double v, int c) {
        return (v / 255 - MEAN.get(c)) / STD.get(c);
    }

    @Test
    void shorterSideAtNativeSizeCropsTheCentreWithoutInterpolating() {
        // Shorter side 3 = the image's: no scaling; crop 2x2 at left = rint(1.0) = 1, top = rint(0.5) = 0.
        float[] t = new Preprocessor(spec(Layout.NCHW, ChannelOrder.RGB, 2, 2, Resize.SHORTER_SIDE, 3)).preprocess(IMAGE);
        // R plane, row 0: pixels (1,0), (2,0) -> R = 10, 20; row 1: (1,1), (2,1) -> 11, 21.
        assertThat(t[0]).isCloseTo((float) norm(10, 0), within(1e-5f));
        assertThat(t[1]).isCloseTo((float) norm(20, 0), within(1e-5f));
        assertThat(t[2]).isCloseTo((float) norm(11, 0), within(1e-5f));
        assertThat(t[3]).isCloseTo((float) norm(21, 0), within(1e-5f));
        // G plane starts at 4: G(1,0) = 101. B plane at 8: B(2,1) = 250 - 60 - 7 = 183.
        assertThat(t[4]).isCloseTo((float) norm(101, 1), within(1e-5f));
        assertThat(t[11]).isCloseTo((float) norm(183, 2), within(1e-5f));
    }

    @Test
    void bilinearUsesHalfPixelCentres() {
        // 4x3 -> shorter side 2: 2x2 (rw = floor(2 * 4 / 3) = 2), no crop.
        // x: (X + 0.5) * 2 - 0.5 = 0.5, 2.5; y: (Y + 0.5) * 1.5 - 0.5 = 0.25, 1.75.
        float[] t = new Preprocessor(spec(Layout.NCHW, ChannelOrder.RGB, 2, 2, Resize.SHORTER_SIDE, 2)).preprocess(IMAGE);
        // R at (X=0, Y=0): x between columns 0 and 1 (R 0 and 10) at 0.5, y 0.25 of the way from row 0 to 1 (+1).
        assertThat(t[0]).isCloseTo((float) norm(5.25, 0), within(1e-5f));
        // R at (X=1, Y=1): columns 2, 3 at 0.5 (25), rows 1, 2 at 0.75 (+1.75).
        assertThat(t[3]).isCloseTo((float) norm(26.75, 0), within(1e-5f));
        // B at (X=1, Y=0): 250 - 30 * 2.5 - 7 * 0.25 = 173.25.
        assertThat(t[8 + 1]).isCloseTo((float) norm(173.25, 2), within(1e-5f));
    }

    @ParameterizedTest(name = "{0}/{1} {4} {2}x{3} shorter={5}")
    @CsvSource({
        "NCHW, RGB, 2, 2, SHORTER_SIDE, 3",
        "NCHW, RGB, 3, 2, SHORTER_SIDE, 3",
        "NHWC, BGR, 2, 2, SHORTER_SIDE, 2",
        "NHWC, BGR, 5, 5, SHORTER_SIDE, 7",
        "NCHW, BGR, 3, 5, STRETCH, 0",
        "NHWC, RGB, 2, 7, STRETCH, 0",
    })
    void matchesAStraightforwardReferenceImplementation(Layout layout, ChannelOrder order, int h, int w,
            Resize resize, int shorter) {
        PreprocessSpec spec = spec(layout, order, h, w, resize, resize == Resize.STRETCH ? Math.max(h, w) : shorter);
        Preprocessor pre = new Preprocessor(spec);
        float[] actual = new float[pre.tensorSize() + 3];
        pre.preprocess(IMAGE, actual, 3); // at an offset, as in a batch
        double[] expected = reference(IMAGE, spec);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i + 3]).as("element %d", i).isCloseTo(expected[i], within(1e-4));
        }
    }

    @Test
    void reusesItsTablesAcrossImagesOfDifferentSizes() {
        Preprocessor pre = new Preprocessor(spec(Layout.NCHW, ChannelOrder.RGB, 2, 2, Resize.SHORTER_SIDE, 2));
        float[] first = pre.preprocess(IMAGE);
        pre.preprocess(RgbImage.packed(1, 1, new byte[] {1, 2, 3}));
        assertThat(pre.preprocess(IMAGE)).containsExactly(first);
    }

    /**
     * Independent reference: scale the whole image (bilinear, half-pixel centres, edge clamp) into a
     * double[rh][rw][3], crop it, normalise, then lay it out.
     */
    private static double[] reference(RgbImage img, PreprocessSpec spec) {
        int w = img.width();
        int h = img.height();
        int rw;
        int rh;
        if (spec.resize() == Resize.STRETCH) {
            rw = spec.width();
            rh = spec.height();
        } else if (w <= h) {
            rw = spec.resizeShorterSide();
            rh = spec.resizeShorterSide() * h / w;
        } else {
            rh = spec.resizeShorterSide();
            rw = spec.resizeShorterSide() * w / h;
        }
        double[][][] resized = new double[rh][rw][3];
        for (int y = 0; y < rh; y++) {
            double sy = clamp((y + 0.5) * h / rh - 0.5, h);
            for (int x = 0; x < rw; x++) {
                double sx = clamp((x + 0.5) * w / rw - 0.5, w);
                for (int c = 0; c < 3; c++) {
                    int x0 = (int) Math.floor(sx);
                    int y0 = (int) Math.floor(sy);
                    int x1 = Math.min(x0 + 1, w - 1);
                    int y1 = Math.min(y0 + 1, h - 1);
                    double fx = sx - x0;
                    double fy = sy - y0;
                    resized[y][x][c] = (1 - fy) * ((1 - fx) * channel(img, x0, y0, c) + fx * channel(img, x1, y0, c))
                            + fy * ((1 - fx) * channel(img, x0, y1, c) + fx * channel(img, x1, y1, c));
                }
            }
        }
        int left = (int) Math.rint((rw - spec.width()) / 2.0);
        int top = (int) Math.rint((rh - spec.height()) / 2.0);
        int H = spec.height();
        int W = spec.width();
        double[] out = new double[3 * H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                for (int c = 0; c < 3; c++) {
                    int source = spec.channelOrder() == ChannelOrder.RGB ? c : 2 - c;
                    double v = (resized[top + y][left + x][source] * spec.scale() - spec.mean().get(c)) / spec.std().get(c);
                    int index = spec.layout() == Layout.NCHW ? c * H * W + y * W + x : (y * W + x) * 3 + c;
                    out[index] = v;
                }
            }
        }
        return out;
    }

    private static double clamp(double s, int n) {
        return Math.max(0, Math.min(s, n - 1));
    }

    private static int channel(RgbImage img, int x, int y, int c) {
        return img.rgb(x, y) >> (16 - 8 * c) & 0xff;
    }

    @Test
    void anExtremeAspectRatioDoesNotOverflowTheResizeArithmetic() {
        // 16,777,217 x 1: with the shorter side scaled to 256, the longer one is 2^32 + 256, which an
        // int holds as 256, and the "centre crop" would then sample the whole width.
        int w = 16_777_217;
        byte[] rgb = new byte[w * 3];
        java.util.Arrays.fill(rgb, w, 2 * w, (byte) 200); // only the middle third is 200, the rest 0
        float[] t = new Preprocessor(PreprocessSpec.defaults()).preprocess(RgbImage.packed(w, 1, rgb));
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 224 * 224; i++) {
                assertThat(t[c * 224 * 224 + i]).isCloseTo((float) norm(200, c), within(1e-4f));
            }
        }
    }
}
