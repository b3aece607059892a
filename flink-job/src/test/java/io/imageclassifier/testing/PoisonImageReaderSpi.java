package io.imageclassifier.testing;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * A test-only image format whose reader fails on purpose at the stage its data names, so that tests
 * can make every decode stage throw: {@code POISON:<stage>} where stage is {@code probe} (the format
 * probe throws), {@code header} (reading the size throws), {@code types} (asking for the image type
 * throws), {@code read} (decoding throws a runtime exception), {@code stack} (decoding overflows the
 * stack), {@code oom} (decoding runs out of memory, every time), {@code oom-once} (the first decode
 * of that exact input runs out of memory, the next works), {@code convert} (decoding returns an image
 * whose colour model throws when its pixels are converted), or anything else: a valid 8x8 grey
 * image. Registered through {@code META-INF/services} of the test classpath, so the job's own
 * decoder finds it in MiniCluster tests; it claims nothing that does not start with
 * {@code POISON:}.
 */
public final class PoisonImageReaderSpi extends ImageReaderSpi {

    private static final byte[] MAGIC = "POISON:".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> FAILED_ONCE = ConcurrentHashMap.newKeySet();

    public PoisonImageReaderSpi() {
        super("imageclassifier-tests", "1", new String[] {"poison"}, new String[] {"poison"}, new String[0],
                PoisonReader.class.getName(), new Class<?>[] {ImageInputStream.class}, null, false, null, null,
                null, null, false, null, null, null, null);
    }

    /** The bytes of a poison image failing at {@code stage} ({@code tag} makes inputs distinct). */
    public static byte[] image(String stage, String tag) {
        return ("POISON:" + stage + ":" + tag).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public boolean canDecodeInput(Object source) throws IOException {
        if (!(source instanceof ImageInputStream in)) {
            return false;
        }
        byte[] head = new byte[MAGIC.length + 5];
        in.mark();
        try {
            int n = in.read(head);
            if (n < MAGIC.length || !java.util.Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                return false;
            }
            if (new String(head, MAGIC.length, n - MAGIC.length, StandardCharsets.US_ASCII).startsWith("probe")) {
                throw new IllegalStateException("poison: the format probe fails");
            }
            return true;
        } finally {
            in.reset();
        }
    }

    @Override
    public ImageReader createReaderInstance(Object extension) {
        return new PoisonReader(this);
    }

    @Override
    public String getDescription(Locale locale) {
        return "test images that fail on purpose";
    }

    private static final class PoisonReader extends ImageReader {
        private String data = "";

        PoisonReader(ImageReaderSpi spi) {
            super(spi);
        }

        @Override
        public void setInput(Object input, boolean seekForwardOnly, boolean ignoreMetadata) {
            super.setInput(input, seekForwardOnly, ignoreMetadata);
            if (input == null) { // reset()
                data = "";
                return;
            }
            try {
                ImageInputStream in = (ImageInputStream) input;
                in.seek(0);
                byte[] b = new byte[(int) Math.min(in.length() < 0 ? 256 : in.length(), 256)];
                in.readFully(b);
                data = new String(b, StandardCharsets.US_ASCII).substring(MAGIC.length);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private boolean is(String stage) {
            return data.startsWith(stage + ":") || data.equals(stage);
        }

        @Override
        public int getNumImages(boolean allowSearch) {
            return 1;
        }

        @Override
        public int getWidth(int imageIndex) {
            if (is("header")) {
                throw new ArrayIndexOutOfBoundsException("poison: the header parser fails");
            }
            return 8;
        }

        @Override
        public int getHeight(int imageIndex) {
            return 8;
        }

        @Override
        public Iterator<ImageTypeSpecifier> getImageTypes(int imageIndex) {
            if (is("types")) {
                throw new NullPointerException("poison: the image type lookup fails");
            }
            return List.of(ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_BYTE_GRAY)).iterator();
        }

        @Override
        public IIOMetadata getStreamMetadata() {
            return null;
        }

        @Override
        public IIOMetadata getImageMetadata(int imageIndex) {
            return null;
        }

        @Override
        public BufferedImage read(int imageIndex, ImageReadParam param) {
            if (is("read")) {
                throw new IllegalArgumentException("poison: the pixel decoder fails");
            }
            if (is("stack")) {
                throw new StackOverflowError("poison: the pixel decoder recursed too deep");
            }
            if (is("oom") || is("oom-once") && FAILED_ONCE.add(data)) {
                throw new OutOfMemoryError("poison: Java heap space");
            }
            if (is("convert")) {
                ColorModel cm = new ThrowingColorModel();
                WritableRaster r = cm.createCompatibleWritableRaster(4, 4);
                return new BufferedImage(cm, r, false, null);
            }
            return new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        }
    }

    /** A float RGB colour model (so the converter takes its generic path) whose pixels cannot be read. */
    private static final class ThrowingColorModel extends ComponentColorModel {
        ThrowingColorModel() {
            super(ColorSpace.getInstance(ColorSpace.CS_LINEAR_RGB), false, false, OPAQUE, DataBuffer.TYPE_FLOAT);
        }

        @Override
        public int getRGB(Object inData) {
            throw new ClassCastException("poison: the colour conversion fails");
        }
    }
}
