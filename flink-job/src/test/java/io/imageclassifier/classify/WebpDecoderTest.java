package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.sun.management.ThreadMXBean;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.testing.ImageMagick;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * WebP through libwebp, on files Debian's ImageMagick writes (lossy, lossless, alpha, animated) and
 * on a hand-made lossless file that costs TwelveMonkeys' reader hundreds of MB. Needs libwebp7 and
 * imagemagick ({@code .ci/run} installs both): skipped where either is missing, except under CI
 * ({@code CI=true}), where a missing one fails the suite instead of silently skipping it.
 */
class WebpDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults());

    @BeforeAll
    static void requireLibwebpAndImageMagick() {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        boolean ready = WebpDecoder.available() && ImageMagick.canWrite("WEBP");
        if (ci) {
            assertThat(ready).as("libwebp7 and imagemagick with WEBP (installed by .ci/run)").isTrue();
        }
        assumeThat(ready).as("libwebp7 and imagemagick installed").isTrue();
    }

    private static byte[] quadrantsPng(int w, int h) throws Exception {
        return TestImages.write(TestImages.quadrants(w, h, BufferedImage.TYPE_3BYTE_BGR), "png");
    }

    @Test
    void decodesLossySizeAndColours() throws Exception {
        byte[] webp = ImageMagick.convert(quadrantsPng(64, 48), "png", "webp", "-quality", "90");
        assertThat(new String(webp, 12, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("VP8 ");
        ImageDecoderTest.assertQuadrants(WebpDecoder.decode(webp, null, ImageLimits.defaults()), 64, 48, 40);
        ImageDecoderTest.assertQuadrants(decoder.decode(webp), 64, 48, 40);
    }

    @Test
    void decodesLosslessExactly() throws Exception {
        byte[] webp = ImageMagick.convert(quadrantsPng(64, 48), "png", "webp", "-define", "webp:lossless=true");
        assertThat(new String(webp, 12, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("VP8L");
        ImageDecoderTest.assertQuadrants(WebpDecoder.decode(webp, null, ImageLimits.defaults()), 64, 48, 0);
        // The hand-encoded file of ImageDecoderTest, too.
        ImageDecoderTest.assertQuadrants(WebpDecoder.decode(TestImages.webpLossless(8, 6), null, ImageLimits.defaults()),
                8, 6, 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void compositesAlphaOnWhite(boolean lossless) throws Exception {
        BufferedImage img = new BufferedImage(16, 8, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                img.setRGB(x, y, x < 8 ? 0x00000000 : 0xffff0000); // transparent black | opaque red
            }
        }
        byte[] webp = ImageMagick.convert(TestImages.write(img, "png"), "png", "webp",
                "-define", "webp:lossless=" + lossless, "-quality", "100");
        RgbImage out = WebpDecoder.decode(webp, null, ImageLimits.defaults());
        ImageDecoderTest.assertColour(out.rgb(2, 4), TestImages.WHITE, lossless ? 0 : 8);
        ImageDecoderTest.assertColour(out.rgb(13, 4), TestImages.RED, lossless ? 0 : 40);
    }

    @Test
    void decodesTheFirstFrameOfAnAnimation() throws Exception {
        // Two frames: the quadrants, then plain blue.
        byte[] anim = ImageMagick.convert(quadrantsPng(40, 30), "png", "webp", "-size", "40x30", "xc:blue",
                "-loop", "0", "-define", "webp:lossless=true");
        String text = new String(anim, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text.indexOf("ANMF")).isPositive();
        assertThat(text.indexOf("ANMF", text.indexOf("ANMF") + 4)).as("second frame").isPositive();
        ImageDecoderTest.assertQuadrants(decoder.decode(anim), 40, 30, 0);
    }

    @Test
    void subsamplesLargeImagesWhenASpecAllowsIt() throws Exception {
        byte[] webp = ImageMagick.convert(quadrantsPng(1200, 800), "png", "webp");
        // Shorter side 800 / 256 -> every 3rd pixel, as the ImageIO path does.
        ImageDecoderTest.assertQuadrants(decoder.decode(webp, PreprocessSpec.defaults()), 400, 267, 40);
        assertThat(decoder.decode(webp).width()).isEqualTo(1200);
    }

    @Test
    void rejectsAnImageAboveThePixelLimitBeforeDecoding() throws Exception {
        byte[] webp = ImageMagick.convert(quadrantsPng(64, 48), "png", "webp");
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> new ImageDecoder(new ImageLimits(1 << 20, 1000)).decode(webp));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("webp").contains("64x48").contains("1000");
    }

    @Test
    void rejectsAnAbsurdAspectRatioBeforeDecoding() throws Exception {
        byte[] webp = ImageMagick.convert(quadrantsPng(1010, 10), "png", "webp", "-define", "webp:lossless=true");
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(webp));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("1010x10").contains("aspect ratio");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lossy", "lossless"})
    void truncatedWebpIsADecodeError(String kind) throws Exception {
        byte[] webp = ImageMagick.convert(Files.readAllBytes(SharedData.photo("coffee.png")), "png", "webp",
                "-define", "webp:lossless=" + kind.equals("lossless"));
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(Arrays.copyOf(webp, webp.length / 2)));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_ERROR);
        assertThat(e.getMessage()).startsWith("webp: ");
    }

    /**
     * The input the decoder fuzz test found, made by hand: TwelveMonkeys' reader (the fallback where
     * libwebp is missing) allocates ~400 MB on it and takes ~4 s (measured on the 2-core dev
     * machine, TwelveMonkeys 3.14.0); libwebp decodes it within a few MB and milliseconds.
     */
    @Test
    void aLosslessFileDeclaring65536PrefixCodeGroupsCostsLittle() throws Exception {
        byte[] webp = TestImages.webpLosslessHuffmanGroups();
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        decoder.decode(webp); // warm-up: class loading
        long allocated0 = threads.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        RgbImage out = decoder.decode(webp);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocated0;
        assertThat(out.width()).isEqualTo(64);
        ImageDecoderTest.assertColour(out.rgb(10, 10), 0x000000, 0);
        assertThat(allocated).as("bytes allocated on the heap").isLessThan(8L << 20);
        assertThat(millis).as("ms").isLessThan(1000);
    }

    @Test
    void aWebpCopyOfAPhotoGetsThePhotosTopLabel() throws Exception {
        for (String photo : new String[] {"coffee.png", "chelsea.png"}) {
            byte[] png = Files.readAllBytes(SharedData.photo(photo));
            byte[] webp = ImageMagick.convert(png, "png", "webp");
            try (ImageClassifier c = ImageClassifier.open(SharedData.modelConfig())) {
                assertThat(c.classify(webp).label()).as(photo).isEqualTo(c.classify(png).label());
            }
        }
    }
}
