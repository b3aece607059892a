package io.imageclassifier.classify;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import io.imageclassifier.record.DeadLetterReason;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes (JPEG incl. CMYK/YCCK and progressive, PNG, GIF (first frame), BMP, WebP
 * (through libwebp where installed: {@link WebpDecoder}), and HEIC and AVIF where libheif is
 * installed: {@link HeifDecoder}) into an {@link RgbImage}, with
 * the JPEG EXIF orientation (HEIF: rotation and mirror boxes) applied.
 *
 * <p>Cheap checks come first, so that hostile input costs nothing: empty input, then the byte
 * limit, then the width x height declared in the header (read by the ImageReader without touching
 * pixel data) against the pixel and aspect-ratio limits, then the bytes the decode would allocate
 * ({@link DecodeCost}) against the decode budget (see {@link ImageLimits}). Bytes no reader
 * recognises are {@code UNSUPPORTED_FORMAT} (this includes text named {@code .jpg}); a reader that
 * fails, or a JPEG whose data ends early (which ImageIO would otherwise return as a partly grey
 * image), is {@code DECODE_ERROR}.
 *
 * <p><b>What the bytes of one image can cause is an {@link ImageRejectedException}, nothing else.</b>
 * A runtime exception or stack overflow anywhere in a decode (a reader's format probe, header
 * parser or pixel decoder, the raster conversion) is a bug or a limit of that decoder met by these
 * bytes, so it becomes {@code DECODE_ERROR} with the exception named, and the task carries on: a
 * task failure would only bring the same message back and fail again, forever. An
 * {@link OutOfMemoryError} during a decode is retried once (the failed attempt's allocations are
 * garbage by then, and another task may have filled the heap at that moment), then rejected too.
 *
 * <p>When a {@link PreprocessSpec} is given and the image is at least twice the resolution the
 * resize will sample from, it is decoded at reduced resolution: JPEGs, where {@link TurboJpeg} is
 * available, at 1/2, 1/4 or 1/8 scale in the DCT domain (each output pixel an average of its
 * block); other images, and JPEGs without TurboJPEG, with ImageIO's source subsampling (every
 * s-th pixel, starting at the centre of each s x s block) to save memory and conversion time.
 *
 * <p>Not thread-safe; use one per task.
 */
public final class ImageDecoder {

    private final ImageLimits limits;
    /** One reader per format, reused: creating a JPEG reader allocates native decoder state. */
    private final Map<ImageReaderSpi, ImageReader> readers = new IdentityHashMap<>();
    /** JPEGs go here first when TurboJPEG is available. */
    private final TurboJpeg turbo = new TurboJpeg();
    /** Native memory of HEIF and WebP decodes, shared by every decoder of the JVM by default. */
    private final NativeDecodeGate nativeGate;

    public ImageDecoder(ImageLimits limits) {
        this(limits, NativeDecodeGate.JVM);
    }

    ImageDecoder(ImageLimits limits, NativeDecodeGate nativeGate) {
        this.limits = limits;
        this.nativeGate = nativeGate;
    }

    /** Whether JPEGs are decoded with TurboJPEG (else ImageIO); see {@link TurboJpeg}. */
    public static boolean usesTurboJpeg() {
        return TurboJpeg.available();
    }

    /** Decodes at full resolution; the image is valid until the next call (see below). */
    public RgbImage decode(byte[] bytes) throws ImageRejectedException {
        return decode(bytes, null);
    }

    /**
     * Decodes, possibly at reduced resolution that still suffices for {@code spec} (null: full).
     * The image may share this decoder's buffer: it is valid until the next call.
     */
    public RgbImage decode(byte[] bytes, PreprocessSpec spec) throws ImageRejectedException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageRejectedException(DeadLetterReason.EMPTY, "image is empty (0 bytes)");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageRejectedException(DeadLetterReason.TOO_LARGE,
                    "image is " + bytes.length + " bytes, above the limit of " + limits.maxBytes());
        }
        try {
            try {
                return decodeChecked(bytes, spec);
            } catch (OutOfMemoryError e) {
                return decodeChecked(bytes, spec); // once more: see the class comment
            }
        } catch (OutOfMemoryError e) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "ran out of memory decoding this "
                    + bytes.length + "-byte image twice (" + e.getMessage() + ")", e);
        } catch (RuntimeException | StackOverflowError e) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "decoder failed on this image: " + e, e);
        }
    }

    private RgbImage decodeChecked(byte[] bytes, PreprocessSpec spec) throws ImageRejectedException {
        String heif = HeifDecoder.format(bytes);
        if (heif != null) {
            return HeifDecoder.decode(bytes, heif, spec, limits, nativeGate);
        }
        if (WebpDecoder.isWebp(bytes)) {
            RgbImage img = WebpDecoder.decode(bytes, spec, limits, nativeGate);
            if (img != null) {
                return img;
            }
        }
        if (isJpeg(bytes)) {
            JpegIccCheck.check(bytes);
            RgbImage img = turbo.decode(bytes, spec, limits);
            if (img != null) {
                return img.oriented(ExifOrientation.ofJpeg(bytes));
            }
        }
        try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
            ImageReaderSpi spi = ImageReaders.providerFor(in);
            if (spi == null) {
                throw new ImageRejectedException(DeadLetterReason.UNSUPPORTED_FORMAT,
                        "no image decoder recognises the data (starts with " + hexPrefix(bytes) + ")");
            }
            ImageReader reader = readers.get(spi);
            if (reader == null) {
                reader = spi.createReaderInstance();
                readers.put(spi, reader);
            }
            boolean ok = false;
            try {
                RgbImage img = read(reader, in, bytes, spec);
                ok = true;
                return img;
            } finally {
                if (ok) {
                    reader.reset(); // drops input and listeners; the reader is reused for the next image
                } else {
                    // After a failure the reader's (native) state is suspect: start afresh next time.
                    readers.remove(spi);
                    reader.dispose();
                }
            }
        } catch (IOException e) {
            // Only the stream's close can get here; the data itself is in memory.
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "cannot read image: " + e.getMessage(), e);
        }
    }

    private RgbImage read(ImageReader reader, ImageInputStream in, byte[] bytes, PreprocessSpec spec)
            throws ImageRejectedException {
        String format = formatName(reader);
        Warnings warnings = new Warnings();
        reader.addIIOReadWarningListener(warnings);
        int w;
        int h;
        try {
            reader.setInput(in, false, true);
            w = reader.getWidth(0);
            h = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw decodeError(format, "cannot read the header", e);
        }
        limits.checkDimensions(format, w, h);
        int s = spec == null ? 1 : spec.maxSubsampling(w, h);
        int orientation = "jpeg".equals(format) ? ExifOrientation.ofJpeg(bytes) : ExifOrientation.NORMAL;
        DecodeCost cost;
        try {
            cost = DecodeCost.of(reader, w, h, s, orientation != ExifOrientation.NORMAL);
        } catch (IOException | RuntimeException e) {
            throw decodeError(format, "cannot read the header", e);
        }
        limits.checkDecodeBytes(format, w, h, cost.bytes(), cost.layout());
        BufferedImage img;
        try {
            ImageReadParam param = reader.getDefaultReadParam();
            if (s >= 2) {
                int offset = (s - 1) / 2; // sample the middle of each s x s block
                param.setSourceSubsampling(s, s, offset, offset);
            }
            img = reader.read(0, param);
        } catch (IOException | RuntimeException e) {
            throw decodeError(format, "cannot decode", e);
        }
        if (warnings.truncated()) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR,
                    format + " data is truncated or corrupt: " + warnings.first());
        }
        return RasterConverter.toRgb(img).oriented(orientation);
    }

    private static ImageRejectedException decodeError(String format, String what, Exception e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ImageRejectedException(DeadLetterReason.DECODE_ERROR, format + ": " + what + ": " + msg, e);
    }

    /** Starts with a JPEG SOI marker followed by another marker. */
    private static boolean isJpeg(byte[] b) {
        return b.length > 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff;
    }

    private static String formatName(ImageReader reader) {
        try {
            return reader.getFormatName().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "image";
        }
    }

    private static String hexPrefix(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }

    /** Collects reader warnings; libjpeg reports truncation only as a warning. */
    private static final class Warnings implements IIOReadWarningListener {
        private final List<String> messages = new ArrayList<>(0);

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            messages.add(warning);
        }

        boolean truncated() {
            for (String m : messages) {
                String l = m.toLowerCase(Locale.ROOT);
                if (l.contains("premature end") || l.contains("truncat")) {
                    return true;
                }
            }
            return false;
        }

        String first() {
            return messages.isEmpty() ? "" : messages.get(0);
        }
    }
}
