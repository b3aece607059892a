package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PNG through libspng: the same pixels as the ImageIO path for every colour type and bit depth
 * (RasterConverter is the reference), transparency on white, subsampling, and the inputs a PNG
 * decoder must refuse (truncated data, a bad CRC, a decompression bomb) or survive (a huge
 * ancillary chunk).
 * Needs libspng0 ({@code .ci/run} installs it): skipped where it is missing, except under CI
 * ({@code CI=true}), where a missing one fails the suite instead of silently skipping it.
 */
class PngDecoderTest {

    private static final ImageLimits LIMITS = ImageLimits.defaults();

    @BeforeAll
    static void requireLibspng() {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertThat(PngDecoder.available()).as("libspng0 (installed by .ci/run)").isTrue();
        }
        assumeThat(PngDecoder.available()).as("libspng0 installed").isTrue();
    }

    private static RgbImage spng(byte[] png) throws Exception {
        return PngDecoder.decode(png, null, LIMITS, NativeDecodeGate.JVM);
    }

    /** What the ImageIO path makes of the same bytes. */
    private static RgbImage imageIo(byte[] png) throws Exception {
        return RasterConverter.toRgb(ImageIO.read(new ByteArrayInputStream(png)));
    }

    private static void assertSamePixels(RgbImage actual, RgbImage expected, int tolerance) {
        assertThat(actual.width()).isEqualTo(expected.width());
        assertThat(actual.height()).isEqualTo(expected.height());
        for (int y = 0; y < expected.height(); y++) {
            for (int x = 0; x < expected.width(); x++) {
                int a = actual.rgb(x, y);
                int e = expected.rgb(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    assertThat(Math.abs((a >> shift & 0xff) - (e >> shift & 0xff)))
                            .as("pixel (%d, %d): %06x vs ImageIO's %06x", x, y, a, e).isLessThanOrEqualTo(tolerance);
                }
            }
        }
    }

    @Test
    void decodesEveryColourTypeAsImageIoDoes() throws Exception {
        BufferedImage chelsea = ImageIO.read(SharedData.photo("chelsea.png").toFile());
        BufferedImage small = new BufferedImage(90, 60, BufferedImage.TYPE_3BYTE_BGR);
        small.getGraphics().drawImage(chelsea, 0, 0, 90, 60, null);
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_INT_ARGB,
                BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_BYTE_INDEXED, BufferedImage.TYPE_BYTE_BINARY}) {
            BufferedImage img = new BufferedImage(90, 60, type);
            img.getGraphics().drawImage(small, 0, 0, null);
            if (type == BufferedImage.TYPE_INT_ARGB) {
                for (int x = 0; x < 90; x++) {
                    img.setRGB(x, 10, img.getRGB(x, 10) & 0x40ffffff); // a partly transparent row
                }
            }
            byte[] png = TestImages.write(img, "png");
            assertSamePixels(spng(png), imageIo(png), 0);
        }
        // 16-bit: ImageIO rounds to 8 bits, libspng keeps the high byte; v * 257 gives v either way.
        byte[] sixteen = TestImages.write(TestImages.sixteenBit(small), "png");
        assertSamePixels(spng(sixteen), imageIo(sixteen), 0);
        // The photo as shipped (RGB, 8-bit), whole.
        byte[] photo = Files.readAllBytes(SharedData.photo("chelsea.png"));
        assertSamePixels(spng(photo), imageIo(photo), 0);
    }

    @Test
    void compositesTrnsTransparencyOnWhite() throws Exception {
        // An RGB PNG whose tRNS chunk makes pure black transparent: black pixels come out white.
        byte[] png = TestImages.blackPng(8, 4, 8, 2);
        byte[] trns = new byte[6]; // red, green, blue (16 bits each) of the transparent colour: 0, 0, 0
        RgbImage out = spng(insertBeforeIdat(png, "tRNS", trns));
        assertThat(out.rgb(3, 2) & 0xffffff).isEqualTo(0xffffff);
        assertThat(spng(png).rgb(3, 2) & 0xffffff).isZero();
    }

    @Test
    void subsamplesAsTheImageIoPathDoes() throws Exception {
        byte[] png = TestImages.write(TestImages.quadrants(1200, 800, BufferedImage.TYPE_3BYTE_BGR), "png");
        // Shorter side 800 / 256 -> every 3rd pixel: ceil((1200 - 1) / 3) x ceil((800 - 1) / 3).
        RgbImage img = PngDecoder.decode(png, PreprocessSpec.defaults(), LIMITS, NativeDecodeGate.JVM);
        ImageDecoderTest.assertQuadrants(img, 400, 267, 0);
    }

    @Test
    void rejectsTruncatedData() throws Exception {
        byte[] png = TestImages.write(TestImages.quadrants(64, 64, BufferedImage.TYPE_3BYTE_BGR), "png");
        for (int cut : new int[] {20, 40, png.length - 20}) {
            ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                    () -> spng(Arrays.copyOf(png, cut)));
            assertThat(e).as("cut at %d of %d", cut, png.length).isNotNull();
            assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_ERROR);
            assertThat(e.getMessage()).startsWith("png: ");
        }
    }

    @Test
    void rejectsABadChecksum() throws Exception {
        byte[] png = withBadIhdrCrc(TestImages.write(TestImages.quadrants(64, 64, BufferedImage.TYPE_3BYTE_BGR), "png"));
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> spng(png));
        assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_ERROR);
        assertThat(e.getMessage()).startsWith("png: ").contains("checksum");
    }

    @Test
    void skipsAnAncillaryChunkAboveTheLimitAndDecodesTheImage() throws Exception {
        // Metadata is not what the job reads: a huge text chunk neither fails the image nor is held in memory.
        byte[] png = TestImages.blackPng(8, 4, 8, 2);
        byte[] text = new byte[(int) PngDecoder.CHUNK_LIMIT_BYTES + 1];
        System.arraycopy("Comment\0".getBytes(StandardCharsets.ISO_8859_1), 0, text, 0, 8);
        Arrays.fill(text, 8, text.length, (byte) 'a');
        RgbImage out = spng(insertBeforeIdat(png, "tEXt", text));
        assertThat(out.width()).isEqualTo(8);
        assertThat(out.rgb(3, 2) & 0xffffff).isZero();
    }

    @Test
    void rejectsADecompressionBombFromItsHeader() throws Exception {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> spng(TestImages.pngBomb(20000, 20000)));
        assertThat(e.reason()).isEqualTo(DeadLetterReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("20000x20000");
    }

    @Test
    void theImageDecoderUsesIt() throws Exception {
        // ImageIO does not check CRCs, libspng does: which of the two decoded shows in the outcome.
        byte[] png = withBadIhdrCrc(TestImages.write(TestImages.quadrants(64, 64, BufferedImage.TYPE_3BYTE_BGR), "png"));
        assertThat(imageIo(png).width()).isEqualTo(64);
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> new ImageDecoder(LIMITS).decode(png));
        assertThat(e.getMessage()).startsWith("png: ").contains("checksum");
    }

    /** {@code png} with its IHDR chunk's CRC changed (the header itself intact). */
    private static byte[] withBadIhdrCrc(byte[] png) {
        byte[] out = png.clone();
        out[8 + 8 + 13] ^= 0x01; // signature, IHDR's length and type, its 13 bytes of data: the CRC
        return out;
    }

    private static int indexOf(byte[] b, String type) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 8; i + 4 <= b.length; i++) {
            for (int k = 0; k < 4; k++) {
                if (b[i + k] != t[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(type + " not found");
    }

    /** {@code png} with a chunk inserted before its first IDAT. */
    static byte[] insertBeforeIdat(byte[] png, String type, byte[] data) {
        int at = indexOf(png, "IDAT") - 4; // the chunk starts with its length
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, at);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(int32(data.length));
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(int32((int) crc.getValue()));
        out.write(png, at, png.length - at);
        return out.toByteArray();
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
