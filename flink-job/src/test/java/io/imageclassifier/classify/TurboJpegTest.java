package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TurboJPEG path of the decoder (skipped where libturbojpeg-java is not installed; the other
 * decoder tests run on whichever path is available).
 */
class TurboJpegTest {

    private final TurboJpeg turbo = new TurboJpeg();

    @BeforeAll
    static void requireTurboJpeg() {
        assumeThat(TurboJpeg.available()).as("TurboJPEG installed").isTrue();
    }

    @Test
    void decodesLargeJpegsAtReducedScaleInTheDctDomain() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(2400, 1800, BufferedImage.TYPE_3BYTE_BGR), false);
        // Shorter side 1800 / 256 = 7 -> the largest of 8, 4, 2 not above it: 1/4 scale.
        RgbImage img = turbo.decode(jpeg, PreprocessSpec.defaults(), ImageLimits.defaults());
        ImageDecoderTest.assertQuadrants(img, 600, 450, 12);
        RgbImage full = turbo.decode(jpeg, null, ImageLimits.defaults());
        assertThat(full.width()).isEqualTo(2400);
        assertThat(full.height()).isEqualTo(1800);
    }

    @Test
    void fullScalePixelsMatchImageIo() throws Exception {
        Path photo = SharedData.dir().resolve("images/imagenet-dev/n01440764_tench.JPEG");
        byte[] jpeg = Files.readAllBytes(photo);
        RgbImage ours = turbo.decode(jpeg, PreprocessSpec.defaults(), ImageLimits.defaults());
        BufferedImage ref = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertThat(ours.width()).isEqualTo(ref.getWidth());
        assertThat(ours.height()).isEqualTo(ref.getHeight());
        long diff = 0;
        for (int y = 0; y < ours.height(); y++) {
            for (int x = 0; x < ours.width(); x++) {
                int a = ours.rgb(x, y);
                int b = ref.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    diff += Math.abs((a >> shift & 0xff) - (b >> shift & 0xff));
                }
            }
        }
        double meanDiff = (double) diff / (3L * ours.width() * ours.height());
        assertThat(meanDiff).as("mean absolute difference per sample").isLessThan(1.0);
    }

    @Test
    void leavesCmykToImageIo() throws Exception {
        assertThat(turbo.decode(TestImages.cmykJpeg(32, 24), null, ImageLimits.defaults())).isNull();
    }

    @Test
    void leavesUnreadableHeadersToImageIoAndRecovers() throws Exception {
        assertThat(turbo.decode(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 1, 2, 3}, null,
                ImageLimits.defaults())).isNull();
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(32, 24, BufferedImage.TYPE_3BYTE_BGR), false);
        ImageDecoderTest.assertQuadrants(turbo.decode(jpeg, null, ImageLimits.defaults()), 32, 24, 12);
    }

    @Test
    void checksThePixelLimitFromTheHeader() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.quadrants(64, 64, BufferedImage.TYPE_3BYTE_BGR), false);
        ImageRejectedException e = org.assertj.core.api.Assertions.catchThrowableOfType(ImageRejectedException.class,
                () -> turbo.decode(jpeg, null, new ImageLimits(1 << 20, 1000)));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(io.imageclassifier.record.DeadLetterReason.TOO_MANY_PIXELS);
    }
}
