package io.imageclassifier.classify;

import java.awt.color.ColorSpace;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;

/**
 * The bytes an ImageIO read will allocate for pixels, estimated from the reader's image type
 * before any pixel is read: the destination raster at the subsampled size (samples per pixel x
 * sample size: 16-bit and many-band rasters cost what they cost), the {@link RasterConverter}'s RGB
 * copy when the raster cannot be wrapped, an EXIF rotation's copy, and two rows at full width
 * (the readers' row buffers).
 *
 * @param bytes  the estimate
 * @param layout what it is made of, for the rejection message (e.g. {@code 4 x 16-bit samples})
 */
record DecodeCost(long bytes, String layout) {

    /** The estimate for reading image 0 of {@code reader} ({@code w x h}) at subsampling {@code s}. */
    static DecodeCost of(ImageReader reader, int w, int h, int s, boolean rotated) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (types == null || !types.hasNext()) {
            throw new IOException("the reader offers no image type for this image");
        }
        ImageTypeSpecifier type = types.next(); // the one ImageReader.read allocates when not told otherwise
        SampleModel sm = type.getSampleModel(1, 1);
        ColorModel cm = type.getColorModel();
        long bitsPerPixel = (long) DataBuffer.getDataTypeSize(sm.getDataType()) * sm.getNumDataElements();
        long bytesPerPixel = Math.max(1, (bitsPerPixel + 7) / 8);
        long pixels = ceilDiv(w, s) * ceilDiv(h, s);
        long bytes = pixels * bytesPerPixel + 2L * w * bytesPerPixel;
        if (!wrapped(sm, cm)) {
            bytes += 3 * pixels;
        }
        if (rotated) {
            bytes += 3 * pixels;
        }
        String layout = sm.getNumDataElements() + " x " + DataBuffer.getDataTypeSize(sm.getDataType()) + "-bit samples";
        return new DecodeCost(bytes, layout);
    }

    /** Bytes for a decoder that writes packed 8-bit RGB straight into its output (TurboJPEG, libheif). */
    static DecodeCost rgb(int w, int h, boolean rotated) {
        long pixels = (long) w * h;
        return new DecodeCost(3 * pixels * (rotated ? 2 : 1), "8-bit RGB");
    }

    /** Whether {@link RasterConverter} hands this layout on without a copy (8-bit RGB or grey). */
    private static boolean wrapped(SampleModel sm, ColorModel cm) {
        int colourType = cm.getColorSpace().getType();
        return cm instanceof ComponentColorModel && sm instanceof ComponentSampleModel
                && sm.getDataType() == DataBuffer.TYPE_BYTE && !cm.hasAlpha()
                && (sm.getNumBands() == 3 && cm.getColorSpace().isCS_sRGB()
                        || sm.getNumBands() == 1 && colourType == ColorSpace.TYPE_GRAY);
    }

    private static long ceilDiv(int a, int s) {
        return ((long) a + s - 1) / s;
    }
}
