package io.imageclassifier.classify;

import io.imageclassifier.record.DeadLetterReason;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optional fast JPEG decoding with libjpeg-turbo's TurboJPEG Java API, which can decode at 1/2,
 * 1/4 or 1/8 scale in the DCT domain: a 12-megapixel photo needed at 256 pixels is decoded straight
 * to 500x375 without computing the full-resolution pixels. Measured on a 2-core EPYC: ~28 ms instead
 * of ~80 ms for ImageIO's full decode of a 3.4 MB 4000x3000 JPEG, and ~1.3 ms instead of 3-6 ms for
 * a 500x375 one.
 *
 * <p>TurboJPEG's Java API is not on Maven Central, so it is used when present at run time and
 * not otherwise: Debian/Ubuntu's {@code libturbojpeg-java} ({@code /usr/share/java/turbojpeg.jar}, on
 * the classpath or in Flink's {@code lib/}) with the native {@code libturbojpeg.so} that
 * {@code libturbojpeg0-dev} links (the jar's loader looks for that name). It is called through
 * method handles, so the job compiles and runs without it, decoding every JPEG with ImageIO instead;
 * which decoder is in use is logged once.
 *
 * <p>Behaviour matches the ImageIO path: the same pixel limit from the header; truncated data
 * ("premature end") is a decode error, other libjpeg warnings are not. CMYK/YCCK JPEGs and headers
 * TurboJPEG cannot read are left to ImageIO ({@link #decode} returns null). Unlike ImageIO, an
 * embedded ICC profile is not applied, which is what PIL (the model's reference preprocessing) does.
 *
 * <p>An instance holds one native decompressor and reuses its output buffer (up to
 * {@value #MAX_REUSED_BYTES} bytes), so an image it returns is valid only until its next call: at
 * a few hundred images per second, a new half-megabyte array per image was a G1 "humongous"
 * allocation each time and drove a concurrent GC cycle every few dozen images. Not thread-safe,
 * one per {@link ImageDecoder}.
 */
final class TurboJpeg {

    private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);
    private static final Api API = Api.load();
    /** Scale denominators TurboJPEG decodes at in the DCT domain, largest first. */
    private static final int[] SCALES = {8, 4, 2};
    /** Largest output buffer kept between calls (a 2000x1500 RGB image); bigger ones are one-off. */
    static final int MAX_REUSED_BYTES = 9_000_000;

    private Object decompressor;
    private byte[] buffer = new byte[0];

    /** Whether TurboJPEG's Java API and native library could be loaded. */
    static boolean available() {
        return API != null;
    }

    /**
     * Decodes a JPEG to packed RGB, at the smallest of 1/8, 1/4, 1/2 or full scale that still
     * suffices for {@code spec} (null: full), into this instance's buffer (valid until the next
     * call). Null when TurboJPEG should not decode it: unavailable, a header it cannot read, or
     * CMYK/YCCK data.
     */
    RgbImage decode(byte[] bytes, PreprocessSpec spec, ImageLimits limits) throws ImageRejectedException {
        if (API == null) {
            return null;
        }
        int w;
        int h;
        try {
            if (decompressor == null) {
                decompressor = API.create.invoke();
            }
            API.setSourceImage.invoke(decompressor, bytes, bytes.length);
            int colorspace = (int) API.getColorspace.invoke(decompressor);
            if (colorspace == API.csCmyk || colorspace == API.csYcck) {
                return null;
            }
            w = (int) API.getWidth.invoke(decompressor);
            h = (int) API.getHeight.invoke(decompressor);
        } catch (Throwable e) {
            rethrowIfFatal(e);
            reset();
            return null; // ImageIO decides how to report it
        }
        if (w <= 0 || h <= 0) {
            return null;
        }
        limits.checkDimensions("jpeg", w, h);
        int s = 1;
        int max = spec == null ? 1 : spec.maxSubsampling(w, h);
        for (int candidate : SCALES) {
            if (candidate <= max) {
                s = candidate;
                break;
            }
        }
        try {
            int dw = (w + s - 1) / s;
            int dh = (h + s - 1) / s;
            int sw = (int) API.getScaledWidth.invoke(decompressor, dw, dh);
            int sh = (int) API.getScaledHeight.invoke(decompressor, dw, dh);
            boolean rotated = ExifOrientation.ofJpeg(bytes) != ExifOrientation.NORMAL;
            limits.checkDecodeBytes("jpeg", w, h, DecodeCost.rgb(sw, sh, rotated).bytes(), "8-bit RGB");
            int size = sw * sh * 3;
            byte[] rgb = buffer.length >= size ? buffer : new byte[size];
            if (rgb != buffer && size <= MAX_REUSED_BYTES) {
                buffer = rgb;
            }
            try {
                API.decompress.invoke(decompressor, rgb, 0, 0, sw, 0, sh, API.pfRgb, 0);
            } catch (IOException e) {
                if (!isWarning(e) || truncated(e)) {
                    throw e;
                }
                // A libjpeg warning (e.g. extraneous bytes before a marker): the pixels are complete.
            }
            return new RgbImage(sw, sh, rgb, 0, 3, 3 * sw, 0, 1, 2);
        } catch (ImageRejectedException e) {
            throw e;
        } catch (IOException e) {
            reset();
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR,
                    (truncated(e) ? "jpeg data is truncated or corrupt: " : "jpeg: cannot decode: ") + msg, e);
        } catch (Throwable e) {
            rethrowIfFatal(e);
            reset();
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR, "jpeg: cannot decode: " + e, e);
        }
    }

    /** JVM errors (out of memory, stack overflow) go to {@link ImageDecoder}, which sorts them. */
    private static void rethrowIfFatal(Throwable e) {
        if (e instanceof Error err && !(err instanceof LinkageError)) {
            throw err;
        }
    }

    /** Drops the native decompressor; after an error its state is suspect. */
    void reset() {
        Object d = decompressor;
        decompressor = null;
        if (d != null) {
            try {
                API.close.invoke(d);
            } catch (Throwable e) {
                LOG.debug("closing a TurboJPEG decompressor failed", e);
            }
        }
    }

    private static boolean isWarning(IOException e) {
        try {
            return API.errorCodeClass.isInstance(e) && (int) API.getErrorCode.invoke(e) == API.errWarning;
        } catch (Throwable t) {
            return false;
        }
    }

    private static boolean truncated(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return m.contains("premature end") || m.contains("truncat");
    }

    /** Method handles on TurboJPEG's Java API, bound once per class loader. */
    private record Api(MethodHandle create, MethodHandle setSourceImage, MethodHandle getWidth,
            MethodHandle getHeight, MethodHandle getColorspace, MethodHandle getScaledWidth,
            MethodHandle getScaledHeight, MethodHandle decompress, MethodHandle close, Class<?> errorCodeClass,
            MethodHandle getErrorCode, int pfRgb, int csCmyk, int csYcck, int errWarning) {

        static Api load() {
            try {
                ClassLoader cl = TurboJpeg.class.getClassLoader();
                Class<?> tj = Class.forName("org.libjpegturbo.turbojpeg.TJ", true, cl);
                Class<?> dec = Class.forName("org.libjpegturbo.turbojpeg.TJDecompressor", true, cl);
                Class<?> ex = Class.forName("org.libjpegturbo.turbojpeg.TJException", true, cl);
                MethodHandles.Lookup l = MethodHandles.publicLookup();
                MethodType intOf2Ints = MethodType.methodType(int.class, int.class, int.class);
                Api api = new Api(
                        l.findConstructor(dec, MethodType.methodType(void.class)),
                        l.findVirtual(dec, "setSourceImage", MethodType.methodType(void.class, byte[].class, int.class)),
                        l.findVirtual(dec, "getWidth", MethodType.methodType(int.class)),
                        l.findVirtual(dec, "getHeight", MethodType.methodType(int.class)),
                        l.findVirtual(dec, "getColorspace", MethodType.methodType(int.class)),
                        l.findVirtual(dec, "getScaledWidth", intOf2Ints),
                        l.findVirtual(dec, "getScaledHeight", intOf2Ints),
                        l.findVirtual(dec, "decompress", MethodType.methodType(void.class, byte[].class, int.class,
                                int.class, int.class, int.class, int.class, int.class, int.class)),
                        l.findVirtual(dec, "close", MethodType.methodType(void.class)),
                        ex,
                        l.findVirtual(ex, "getErrorCode", MethodType.methodType(int.class)),
                        tj.getField("PF_RGB").getInt(null),
                        tj.getField("CS_CMYK").getInt(null),
                        tj.getField("CS_YCCK").getInt(null),
                        tj.getField("ERR_WARNING").getInt(null));
                api.close.invoke(api.create.invoke()); // loads the native library now, not on the first image
                LOG.info("JPEG decoding: TurboJPEG (DCT-domain scaling of large images)");
                return api;
            } catch (ClassNotFoundException e) {
                LOG.info("JPEG decoding: ImageIO (TurboJPEG's Java API is not on the classpath)");
            } catch (Throwable e) {
                LOG.warn("JPEG decoding: ImageIO (TurboJPEG is on the classpath but cannot be used: {})", e.toString());
            }
            return null;
        }
    }
}
