package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.testing.ImageMagick;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HEIC and AVIF through libheif, on files Debian's ImageMagick writes. Needs libheif1 and
 * imagemagick ({@code .ci/run} installs both): skipped where either is missing, except under CI
 * ({@code CI=true}), where a missing one fails the suite instead of silently skipping it.
 */
class HeifDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults());

    @BeforeAll
    static void requireLibheifAndImageMagick() {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        boolean ready = HeifDecoder.available() && ImageMagick.canWrite("HEIC") && ImageMagick.canWrite("AVIF");
        if (ci) {
            assertThat(ready).as("libheif1 and imagemagick with HEIC/AVIF (installed by .ci/run)").isTrue();
        }
        assumeThat(ready).as("libheif1 and imagemagick installed").isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"heic", "avif"})
    void decodesSizeAndColours(String format) throws Exception {
        byte[] png = TestImages.write(TestImages.quadrants(64, 48, BufferedImage.TYPE_3BYTE_BGR), "png");
        byte[] heif = ImageMagick.convert(png, "png", format, "-quality", "90");
        assertThat(HeifDecoder.format(heif)).isEqualTo(format);
        ImageDecoderTest.assertQuadrants(decoder.decode(heif), 64, 48, 40);
    }

    @Test
    void subsamplesLargeImagesWhenASpecAllowsIt() throws Exception {
        byte[] png = TestImages.write(TestImages.quadrants(1200, 800, BufferedImage.TYPE_3BYTE_BGR), "png");
        byte[] avif = ImageMagick.convert(png, "png", "avif");
        // Shorter side 800 / 256 -> every 3rd pixel, as the ImageIO path does.
        ImageDecoderTest.assertQuadrants(decoder.decode(avif, PreprocessSpec.defaults()), 400, 267, 40);
        assertThat(decoder.decode(avif).width()).isEqualTo(1200);
    }

    @Test
    void rejectsAnImageAboveThePixelLimitBeforeDecoding() throws Exception {
        byte[] heic = ImageMagick.convert(TestImages.write(TestImages.quadrants(64, 48,
                BufferedImage.TYPE_3BYTE_BGR), "png"), "png", "heic");
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> new ImageDecoder(new ImageLimits(1 << 20, 1000)).decode(heic));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        // The coded image (ispe) is 64x64: HEVC codes whole 16x16 blocks, and a crop box makes it 64x48.
        assertThat(e.getMessage()).contains("heic").contains("64x64").contains("1000");
    }

    @Test
    void rejectsAnIspeBoxAboveThePixelLimitWhateverThePrimaryImageSays() throws Exception {
        byte[] heic = ImageMagick.convert(TestImages.write(TestImages.quadrants(64, 48,
                BufferedImage.TYPE_3BYTE_BGR), "png"), "png", "heic");
        int ispe = new String(heic, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("ispe");
        assertThat(ispe).isPositive();
        Mutator.put(heic, ispe + 8, 4, 20_000, false);
        Mutator.put(heic, ispe + 12, 4, 20_000, false);
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(heic));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("20000x20000");
    }

    @Test
    void truncatedHeicIsADecodeError() throws Exception {
        byte[] heic = ImageMagick.convert(Files.readAllBytes(SharedData.photo("coffee.png")), "png", "heic");
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(java.util.Arrays.copyOf(heic, heic.length / 2)));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_ERROR);
        assertThat(e.getMessage()).startsWith("heic: ");
    }

    @Test
    void decodesWaitForTheNativeMemoryGate() throws Exception {
        byte[] heic = ImageMagick.convert(TestImages.write(TestImages.quadrants(64, 48,
                BufferedImage.TYPE_3BYTE_BGR), "png"), "png", "heic");
        NativeDecodeGateTest.assertDecodeWaitsForTheGate(heic);
    }

    @ParameterizedTest
    @CsvSource({"coffee.png, heic", "coffee.png, avif", "chelsea.png, heic", "chelsea.png, avif"})
    void aHeifCopyOfAPhotoGetsThePhotosTopLabel(String photo, String format) throws Exception {
        byte[] png = Files.readAllBytes(SharedData.photo(photo));
        byte[] heif = ImageMagick.convert(png, "png", format);
        try (ImageClassifier c = ImageClassifier.open(SharedData.modelConfig())) {
            ClassificationResult fromPng = c.classify(png);
            ClassificationResult fromHeif = c.classify(heif);
            assertThat(fromHeif.label()).isEqualTo(fromPng.label());
        }
    }
}
