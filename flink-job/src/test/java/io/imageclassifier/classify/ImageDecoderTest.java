package io.imageclassifier.classify;

import io.imageclassifier.testing.PoisonImageReaderSpi;
import io.imageclassifier.testing.TestImages;

import static io.imageclassifier.testing.TestImages.BLUE;
import static io.imageclassifier.testing.TestImages.GREEN;
import static io.imageclassifier.testing.TestImages.RED;
import static io.imageclassifier.testing.TestImages.WHITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.imageclassifier.record.DeadLetterReason;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.awt.color.ColorSpace;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults());

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void decodesBaselineAndProgressiveJpeg(boolean progressive) throws Exception {
        RgbImage img = decoder.decode(TestImages.jpeg(TestImages.quadrants(32, 24, BufferedImage.TYPE_3BYTE_BGR), progressive));
        assertQuadrants(img, 32, 24, 12);
    }

    @Test
    void decodesCmykJpeg() throws Exception {
        RgbImage img = decoder.decode(TestImages.cmykJpeg(32, 24));
        assertThat(img.width()).isEqualTo(32);
        assertThat(img.height()).isEqualTo(24);
        // CMYK goes through a colour profile, so colours are close to, not exactly, the RGB ones.
        assertDominant(img.rgb(4, 4), RED);
        assertDominant(img.rgb(27, 4), GREEN);
        assertDominant(img.rgb(4, 19), BLUE);
        assertThat(Arrays.stream(channels(img.rgb(27, 19))).min().getAsInt()).isGreaterThan(200);
    }

    @Test
    void decodesPngPalette() throws Exception {
        byte[] r = {(byte) 255, 0, 0, (byte) 255};
        byte[] g = {0, (byte) 255, 0, (byte) 255};
        byte[] b = {0, 0, (byte) 255, (byte) 255};
        IndexColorModel icm = new IndexColorModel(2, 4, r, g, b);
        BufferedImage img = new BufferedImage(8, 6, BufferedImage.TYPE_BYTE_BINARY, icm);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 8; x++) {
                img.setRGB(x, y, TestImages.quadrantColour(x, y, 8, 6) | 0xff000000);
            }
        }
        assertQuadrants(decoder.decode(TestImages.write(img, "png")), 8, 6, 0);
    }

    @Test
    void compositesPngAlphaOnWhite() throws Exception {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00000000); // fully transparent black
        img.setRGB(1, 0, 0x80ff0000); // half transparent red
        RgbImage out = decoder.decode(TestImages.write(img, "png"));
        assertThat(out.rgb(0, 0)).isEqualTo(WHITE);
        assertThat(out.rgb(1, 0)).isEqualTo(0xff7f7f); // 255 * 128/255 + 255 * 127/255 = 255; 0 + 255 * 127/255 = 127
    }

    @Test
    void decodes16BitPngRoundingToEightBits() throws Exception {
        ColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                ColorModel.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixel(0, 0, new int[] {65535, 0, 32896}); // 32896 = 128 * 257
        raster.setPixel(1, 0, new int[] {257, 65535, 0});
        BufferedImage img = new BufferedImage(cm, raster, false, null);
        RgbImage out = decoder.decode(TestImages.write(img, "png"));
        assertThat(out.rgb(0, 0)).isEqualTo(0xff0080);
        assertThat(out.rgb(1, 0)).isEqualTo(0x01ff00);
    }

    @Test
    void decodesGreyPngWithoutGammaChange() throws Exception {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 100, 255});
        RgbImage out = decoder.decode(TestImages.write(img, "png"));
        assertThat(out.rgb(0, 0)).isEqualTo(0x000000);
        assertThat(out.rgb(1, 0)).isEqualTo(0x646464);
        assertThat(out.rgb(2, 0)).isEqualTo(0xffffff);
    }

    @Test
    void decodesFirstFrameOfAnimatedGif() throws Exception {
        // 16x16: the JDK's GIF codec garbles the last row of very small (4x4) frames.
        RgbImage img = decoder.decode(TestImages.animatedGif(16, 16, RED, BLUE));
        assertThat(img.rgb(0, 0)).isEqualTo(RED);
        assertThat(img.rgb(15, 15)).isEqualTo(RED);
    }

    @Test
    void decodesBmp() throws Exception {
        assertQuadrants(decoder.decode(TestImages.write(TestImages.quadrants(10, 8, BufferedImage.TYPE_3BYTE_BGR), "bmp")),
                10, 8, 0);
    }

    @Test
    void decodesLosslessWebp() throws Exception {
        assertQuadrants(decoder.decode(TestImages.webpLossless(8, 6)), 8, 6, 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void appliesExifRotate90(boolean littleEndian) throws Exception {
        // 40 wide, 20 high; orientation 6 = "rotate 90 clockwise to display".
        BufferedImage src = TestImages.quadrants(40, 20, BufferedImage.TYPE_3BYTE_BGR);
        RgbImage img = decoder.decode(TestImages.jpegWithOrientation(src, 6, littleEndian));
        assertThat(img.width()).isEqualTo(20);
        assertThat(img.height()).isEqualTo(40);
        // Rotating clockwise moves the top-left (red) to the top-right, bottom-left (blue) to the top-left.
        assertColour(img.rgb(17, 2), RED, 12);
        assertColour(img.rgb(2, 2), BLUE, 12);
        assertColour(img.rgb(17, 37), GREEN, 12);
        assertColour(img.rgb(2, 37), WHITE, 12);
    }

    @Test
    void rejectsEmptyInput() {
        assertRejected(new byte[0], DeadLetterReason.EMPTY);
    }

    @Test
    void rejectsInputAboveByteLimitBeforeDecoding() {
        ImageDecoder small = new ImageDecoder(new ImageLimits(100, 1000));
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> small.decode(new byte[101]));
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_LARGE);
        assertThat(e.getMessage()).contains("101").contains("100");
    }

    @Test
    void rejectsPngBombFromHeaderWithoutAllocating() throws Exception {
        byte[] bomb = TestImages.pngBomb(20000, 20000);
        assertThat(bomb.length).isLessThan(100);
        long before = allocatedBytes();
        long start = System.nanoTime();
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(bomb));
        long millis = (System.nanoTime() - start) / 1_000_000;
        long allocated = allocatedBytes() - before;
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("20000x20000");
        assertThat(millis).isLessThan(1000);
        assertThat(allocated).as("bytes allocated").isLessThan(16L << 20); // the image would be 1.2 GB
    }

    @ParameterizedTest
    @ValueSource(strings = {"this is not an image, just text in a file named cat.jpg\n", "hi", "x"})
    void rejectsTextNamedJpgAsUnsupportedFormat(String text) {
        assertRejected(text.getBytes(StandardCharsets.UTF_8), DeadLetterReason.UNSUPPORTED_FORMAT);
    }

    @Test
    void rejectsTruncatedJpeg() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(64, 64, BufferedImage.TYPE_3BYTE_BGR), false);
        assertRejected(Arrays.copyOf(jpeg, jpeg.length / 2), DeadLetterReason.DECODE_ERROR);
    }

    @Test
    void rejectsCorruptPng() throws Exception {
        byte[] png = TestImages.write(TestImages.quadrants(64, 64, BufferedImage.TYPE_3BYTE_BGR), "png");
        assertRejected(Arrays.copyOf(png, 60), DeadLetterReason.DECODE_ERROR);
    }

    @Test
    void keepsDecodingAfterARejectedImageAndAcrossFormats() throws Exception {
        BufferedImage src = TestImages.quadrants(32, 24, BufferedImage.TYPE_3BYTE_BGR);
        byte[] jpeg = TestImages.jpeg(src, false);
        byte[] png = TestImages.write(src, "png");
        assertQuadrants(decoder.decode(jpeg), 32, 24, 12);
        assertRejected(Arrays.copyOf(jpeg, jpeg.length / 2), DeadLetterReason.DECODE_ERROR);
        assertQuadrants(decoder.decode(jpeg), 32, 24, 12);
        assertQuadrants(decoder.decode(png), 32, 24, 0);
        assertQuadrants(decoder.decode(jpeg), 32, 24, 12);
    }

    @Test
    void subsamplesLargeImagesWhenASpecAllowsIt() throws Exception {
        BufferedImage src = TestImages.quadrants(1200, 800, BufferedImage.TYPE_3BYTE_BGR);
        byte[] png = TestImages.write(src, "png");
        // Shorter side 800 / 256 -> every 3rd pixel: ceil((1200 - 1) / 3) x ceil((800 - 1) / 3).
        RgbImage img = decoder.decode(png, PreprocessSpec.defaults());
        assertQuadrants(img, 400, 267, 0);
        assertThat(decoder.decode(png).width()).isEqualTo(1200);
    }

    @Test
    void rejectsAnExtremeAspectRatioBeforeDecoding() throws Exception {
        byte[] png = TestImages.blackPng(49_000_000, 1, 8, 2); // within the pixel limit, 147 MB of pixels
        long before = allocatedBytes();
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(png, PreprocessSpec.defaults()));
        long allocated = allocatedBytes() - before;
        assertThat(e).as("rejection").isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("49000000x1").contains("aspect ratio");
        assertThat(allocated).as("bytes allocated").isLessThan(16L << 20);
    }

    @Test
    void rejectsA16BitRasterAboveTheDecodeBudgetBeforeAllocatingIt() throws Exception {
        // 16-bit RGBA, shorter side too small to subsample: 162 MB of raster + the 8-bit copy > 200 MB.
        byte[] png = TestImages.blackPng(45_000, 450, 16, 6);
        long before = allocatedBytes();
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(png, PreprocessSpec.defaults()));
        long allocated = allocatedBytes() - before;
        assertThat(e).as("rejection").isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("45000x450").contains("16-bit").contains("MB");
        assertThat(allocated).as("bytes allocated").isLessThan(16L << 20);
    }

    @Test
    void decodesALarge16BitRasterThatSubsamplingBringsWithinTheBudget() throws Exception {
        // 16-bit RGBA 6000 x 4000 (192 MB at full size): read at 1/15, which the model needs anyway.
        RgbImage img = decoder.decode(TestImages.blackPng(6000, 4000, 16, 6), PreprocessSpec.defaults());
        assertThat(img.width()).isEqualTo(400);
        assertThat(img.rgb(0, 0)).isEqualTo(WHITE); // transparent black composited on white
    }

    @Test
    void rejectsAnIccProfileDeclaringMoreBytesThanItCarries() throws Exception {
        // A CMYK JPEG (decoded by ImageIO, which reads the profile) whose 128-byte ICC header says 4 GB.
        byte[] profile = new byte[128];
        Mutator.put(profile, 0, 4, 0xff7f_0000L, false);
        byte[] id = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int len = 2 + id.length + 2 + profile.length;
        byte[] segment = TestImages.concat(TestImages.concat(new byte[] {(byte) 0xff, (byte) 0xe2, (byte) (len >> 8),
            (byte) len}, id), TestImages.concat(new byte[] {1, 1}, profile));
        byte[] jpeg = TestImages.insertAfterSoi(TestImages.cmykJpeg(32, 24), segment);
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(jpeg));
        assertThat(e).as("rejection").isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_ERROR);
        assertThat(e.getMessage()).contains("ICC profile declares 4286513152 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"probe", "header", "types", "read", "stack", "oom", "convert"})
    void whateverADecodeStageThrowsBecomesARejectionAndTheDecoderCarriesOn(String stage) throws Exception {
        byte[] poison = PoisonImageReaderSpi.image(stage, "unit");
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(poison));
        assertThat(e).as("rejection").isNotNull();
        assertThat(e.reason()).isIn(DeadLetterReason.DECODE_ERROR, DeadLetterReason.UNSUPPORTED_FORMAT);
        assertThat(e.getMessage()).contains(stage.equals("probe") ? "no image decoder" : "poison");
        assertQuadrants(decoder.decode(TestImages.write(TestImages.quadrants(16, 8, BufferedImage.TYPE_3BYTE_BGR),
                "png")), 16, 8, 0);
    }

    @Test
    void runsOutOfMemoryOnceThenDecodesOnTheRetry() throws Exception {
        RgbImage img = decoder.decode(PoisonImageReaderSpi.image("oom-once", "retry-unit"));
        assertThat(img.width()).isEqualTo(8);
    }

    private void assertRejected(byte[] bytes, DeadLetterReason reason) {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(bytes));
        assertThat(e).as("rejection").isNotNull();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).isNotBlank();
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    /** Quadrant colours, checked away from the edges where JPEG blurs them. */
    static void assertQuadrants(RgbImage img, int w, int h, int tolerance) {
        assertThat(img.width()).isEqualTo(w);
        assertThat(img.height()).isEqualTo(h);
        int x0 = w / 8;
        int x1 = w - 1 - w / 8;
        int y0 = h / 8;
        int y1 = h - 1 - h / 8;
        assertColour(img.rgb(x0, y0), RED, tolerance);
        assertColour(img.rgb(x1, y0), GREEN, tolerance);
        assertColour(img.rgb(x0, y1), BLUE, tolerance);
        assertColour(img.rgb(x1, y1), WHITE, tolerance);
    }

    static void assertColour(int actual, int expected, int tolerance) {
        int[] a = channels(actual);
        int[] e = channels(expected);
        for (int c = 0; c < 3; c++) {
            assertThat(a[c]).as("channel %d of %06x (expected %06x)", c, actual, expected)
                    .isBetween(e[c] - tolerance, e[c] + tolerance);
        }
    }

    private static void assertDominant(int actual, int expected) {
        int[] a = channels(actual);
        int[] e = channels(expected);
        for (int c = 0; c < 3; c++) {
            if (e[c] == 255) {
                assertThat(a[c]).as("channel %d of %06x", c, actual).isGreaterThan(150);
            } else {
                assertThat(a[c]).as("channel %d of %06x", c, actual).isLessThan(110);
            }
        }
    }

    private static int[] channels(int rgb) {
        return new int[] {rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff};
    }
}
