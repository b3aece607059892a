package io.imageclassifier.testing;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Small synthetic images in every format the decoder supports, generated in the tests. */
public final class TestImages {

    public static final int RED = 0xff0000;
    public static final int GREEN = 0x00ff00;
    public static final int BLUE = 0x0000ff;
    public static final int WHITE = 0xffffff;

    private TestImages() {}

    /** A w x h image of four solid quadrants: red top-left, green top-right, blue bottom-left, white bottom-right. */
    public static BufferedImage quadrants(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, quadrantColour(x, y, w, h) | 0xff000000);
            }
        }
        return img;
    }

    public static int quadrantColour(int x, int y, int w, int h) {
        boolean left = x < w / 2;
        boolean upper = y < h / 2;
        return upper ? (left ? RED : GREEN) : (left ? BLUE : WHITE);
    }

    public static byte[] write(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("no writer for " + format);
        }
        return out.toByteArray();
    }

    public static byte[] jpeg(BufferedImage img, boolean progressive) throws IOException {
        ImageWriter writer = jdkJpegWriter();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(0.95f);
        if (progressive) {
            p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        return writeWith(writer, new IIOImage(img, null, null), p);
    }

    /**
     * A CMYK JPEG of the quadrant image as Adobe software writes them: the JDK writer encodes a raw
     * 4-band raster (no colour transform), and an Adobe APP14 segment with transform 0 marks the
     * four components as CMYK, stored inverted (255 = no ink).
     */
    public static byte[] cmykJpeg(int w, int h) throws IOException {
        WritableRaster r = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = quadrantColour(x, y, w, h);
                int c = 255 - (rgb >> 16 & 0xff);
                int m = 255 - (rgb >> 8 & 0xff);
                int ye = 255 - (rgb & 0xff);
                // Adobe CMYK JPEGs store inverted values (255 = no ink).
                r.setPixel(x, y, new int[] {255 - c, 255 - m, 255 - ye, 255});
            }
        }
        ImageWriter writer = jdkJpegWriter();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(0.95f);
        byte[] jpeg = writeWith(writer, new IIOImage(r, null, null), p);
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        return insertAfterSoi(jpeg, app14);
    }

    public static byte[] insertAfterSoi(byte[] jpeg, byte[] segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.writeBytes(segment);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** A JPEG with an APP1 Exif segment whose IFD0 holds orientation {@code orientation}. */
    public static byte[] jpegWithOrientation(BufferedImage img, int orientation, boolean littleEndian) throws IOException {
        byte[] jpeg = jpeg(img, false);
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        if (littleEndian) {
            tiff.writeBytes(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
                (byte) orientation, 0, 0, 0, 0, 0, 0, 0});
        } else {
            tiff.writeBytes(new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                0, (byte) orientation, 0, 0, 0, 0, 0, 0});
        }
        byte[] payload = concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), tiff.toByteArray());
        int len = payload.length + 2;
        byte[] header = {(byte) 0xFF, (byte) 0xE1, (byte) (len >> 8), (byte) len};
        return insertAfterSoi(jpeg, concat(header, payload));
    }

    /** A two-frame GIF: the first frame solid {@code first}, the second solid {@code second}. */
    public static byte[] animatedGif(int w, int h, int first, int second) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int colour : new int[] {first, second}) {
                BufferedImage frame = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        frame.setRGB(x, y, colour | 0xff000000);
                    }
                }
                ImageWriteParam p = writer.getDefaultWriteParam();
                IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), p);
                String fmt = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
                IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
                gce.setAttribute("disposalMethod", "none");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("transparentColorFlag", "FALSE");
                gce.setAttribute("delayTime", "10");
                gce.setAttribute("transparentColorIndex", "0");
                root.appendChild(gce);
                meta.setFromTree(fmt, root);
                writer.writeToSequence(new IIOImage(frame, null, meta), p);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** A 16-bit-per-sample RGB copy of {@code img} (each 8-bit sample v becomes v * 257). */
    public static BufferedImage sixteenBit(BufferedImage img) {
        java.awt.image.ColorModel cm = new java.awt.image.ComponentColorModel(
                java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), false, false,
                java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(img.getWidth(), img.getHeight());
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                r.setPixel(x, y, new int[] {(rgb >> 16 & 0xff) * 257, (rgb >> 8 & 0xff) * 257, (rgb & 0xff) * 257});
            }
        }
        return new BufferedImage(cm, r, false, null);
    }

    /**
     * A valid PNG of {@code w x h} black pixels with the given bit depth and colour type (0 grey,
     * 2 RGB, 4 grey + alpha, 6 RGBA), compressed as it goes: a 49,000,000 x 1 image is a few
     * hundred kilobytes.
     */
    public static byte[] blackPng(int w, int h, int bitDepth, int colorType) {
        int samples = switch (colorType) {
            case 0 -> 1;
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> throw new IllegalArgumentException("colour type " + colorType);
        };
        long rowBytes = 1 + ((long) w * samples * bitDepth + 7) / 8; // filter byte + samples
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, w);
        putInt(ihdr, 4, h);
        ihdr[8] = (byte) bitDepth;
        ihdr[9] = (byte) colorType;
        pngChunk(out, "IHDR", ihdr);
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        byte[] zeros = new byte[1 << 16];
        byte[] buf = new byte[1 << 16];
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        for (long left = rowBytes * h; left > 0; left -= zeros.length) {
            d.setInput(zeros, 0, (int) Math.min(zeros.length, left));
            while (!d.needsInput()) {
                idat.write(buf, 0, d.deflate(buf));
            }
        }
        d.finish();
        while (!d.finished()) {
            idat.write(buf, 0, d.deflate(buf));
        }
        d.end();
        pngChunk(out, "IDAT", idat.toByteArray());
        pngChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A valid PNG header declaring {@code w x h} RGB pixels, with a tiny IDAT: a decompression bomb. */
    public static byte[] pngBomb(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, w);
        putInt(ihdr, 4, h);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        pngChunk(out, "IHDR", ihdr);
        Deflater d = new Deflater();
        d.setInput(new byte[1024]);
        d.finish();
        byte[] buf = new byte[64];
        int n = d.deflate(buf);
        byte[] idat = new byte[n];
        System.arraycopy(buf, 0, idat, 0, n);
        pngChunk(out, "IDAT", idat);
        pngChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /**
     * A lossless WebP (VP8L) of the quadrant image, hand-encoded: no transforms, no colour cache,
     * and "simple" prefix codes with the two symbols 0 and 255 for red, green and blue (one bit
     * each per pixel) and a single symbol for alpha (255) and distance (0), so only colours whose
     * channels are 0 or 255 can be written.
     */
    public static byte[] webpLossless(int w, int h) {
        BitWriter bits = new BitWriter();
        bits.write(0x2f, 8); // VP8L signature
        bits.write(w - 1, 14);
        bits.write(h - 1, 14);
        bits.write(0, 1); // alpha_is_used
        bits.write(0, 3); // version
        bits.write(0, 1); // no transform
        bits.write(0, 1); // no colour cache
        bits.write(0, 1); // no meta prefix codes
        for (int code = 0; code < 5; code++) { // green, red, blue, alpha, distance
            bits.write(1, 1); // simple code
            if (code < 3) {
                bits.write(1, 1); // two symbols
                bits.write(0, 1); // first symbol in 1 bit
                bits.write(0, 1); // symbol 0
                bits.write(255, 8); // symbol 255
            } else {
                bits.write(0, 1); // one symbol
                bits.write(1, 1); // in 8 bits
                bits.write(code == 3 ? 255 : 0, 8);
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = quadrantColour(x, y, w, h);
                bits.write((rgb >> 8 & 0xff) == 255 ? 1 : 0, 1); // green
                bits.write((rgb >> 16 & 0xff) == 255 ? 1 : 0, 1); // red
                bits.write((rgb & 0xff) == 255 ? 1 : 0, 1); // blue
            }
        }
        return riffWebp(bits.toByteArray());
    }

    /**
     * A valid 64x64 lossless WebP (black) whose entropy image names prefix-code group 65,535, and
     * which then spells out all 65,536 groups (five one-symbol codes each, 27 bits): a decoder that
     * builds Huffman tables for every declared group builds 65,536 sets, where libwebp builds only
     * the one the pixels use. 220 KB.
     */
    public static byte[] webpLosslessHuffmanGroups() {
        BitWriter bits = new BitWriter();
        bits.write(0x2f, 8); // VP8L signature
        bits.write(63, 14);
        bits.write(63, 14);
        bits.write(0, 1); // alpha_is_used
        bits.write(0, 3); // version
        bits.write(0, 1); // no transform
        bits.write(0, 1); // no colour cache
        bits.write(1, 1); // meta prefix codes
        bits.write(7, 3); // prefix bits 9: the entropy image is 1x1
        bits.write(0, 1); // entropy image: no colour cache
        for (int code = 0; code < 5; code++) { // its one pixel: green 255, red 255 -> group 0xffff
            oneSymbolCode(bits, code < 2 ? 255 : 0);
        }
        for (int group = 0; group < 65_536; group++) {
            for (int code = 0; code < 5; code++) { // green, red, blue 0; alpha 255; distance 0
                if (code == 3) {
                    oneSymbolCode(bits, 255);
                } else {
                    bits.write(1, 1); // simple code
                    bits.write(0, 1); // one symbol
                    bits.write(0, 1); // in 1 bit
                    bits.write(0, 1);
                }
            }
        }
        // Every code has one symbol, so the pixels take no bits.
        return riffWebp(bits.toByteArray());
    }

    private static void oneSymbolCode(BitWriter bits, int symbol) {
        bits.write(1, 1); // simple code
        bits.write(0, 1); // one symbol
        bits.write(1, 1); // in 8 bits
        bits.write(symbol, 8);
    }

    private static byte[] riffWebp(byte[] vp8l) {
        int pad = vp8l.length % 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
        writeLe32(out, 4 + 8 + vp8l.length + pad);
        out.writeBytes("WEBPVP8L".getBytes(StandardCharsets.US_ASCII));
        writeLe32(out, vp8l.length);
        out.writeBytes(vp8l);
        if (pad == 1) {
            out.write(0);
        }
        return out.toByteArray();
    }

    private static ImageWriter jdkJpegWriter() {
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter fallback = null;
        while (it.hasNext()) {
            ImageWriter w = it.next();
            if (w.getClass().getName().startsWith("com.sun.")) {
                return w;
            }
            fallback = fallback == null ? w : fallback;
        }
        return fallback;
    }

    private static byte[] writeWith(ImageWriter writer, IIOImage image, ImageWriteParam p) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, image, p);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] len = new byte[4];
        putInt(len, 0, data.length);
        out.writeBytes(len);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        byte[] c = new byte[4];
        putInt(c, 0, (int) crc.getValue());
        out.writeBytes(c);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static void writeLe32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    public static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** LSB-first bit packing, as VP8L reads its bits. */
    private static final class BitWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long acc;
        private int used;

        void write(int value, int n) {
            acc |= (long) (value & ((1 << n) - 1)) << used;
            used += n;
            while (used >= 8) {
                out.write((int) (acc & 0xff));
                acc >>>= 8;
                used -= 8;
            }
        }

        byte[] toByteArray() {
            if (used > 0) {
                out.write((int) (acc & 0xff));
                acc = 0;
                used = 0;
            }
            return out.toByteArray();
        }
    }

    /** The first half of a real JPEG from the dev set. */
    public static byte[] truncatedJpeg() throws IOException {
        byte[] jpeg = java.nio.file.Files.readAllBytes(SharedData.devImages().get(0));
        return java.util.Arrays.copyOf(jpeg, jpeg.length / 2);
    }

    /** Text that only its name calls an image. */
    public static byte[] textNamedJpeg() {
        return "this is not an image, just text with a .jpg name\n".getBytes(StandardCharsets.UTF_8);
    }
}
