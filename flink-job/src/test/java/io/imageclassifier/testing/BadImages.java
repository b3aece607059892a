package io.imageclassifier.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/** Builds inputs that must not become predictions, each with the dead-letter reason it deserves. */
public final class BadImages {
    private BadImages() {}

    /** The first half of a real JPEG. */
    public static byte[] truncatedJpeg() throws IOException {
        byte[] jpeg = Files.readAllBytes(SharedData.devImages().get(0));
        return Arrays.copyOf(jpeg, jpeg.length / 2);
    }

    public static byte[] textNamedJpeg() {
        return "this is not an image, just text with a .jpg name\n".getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A valid PNG of a few hundred bytes whose header declares 20000 x 20000 pixels (a
     * decompression bomb: decoding it would need 1.2 GB).
     */
    public static byte[] pngBomb(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        // A little compressed data: the first rows' worth of zeros, never enough for the image.
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[64 * 1024]);
        deflater.finish();
        byte[] buf = new byte[64 * 1024];
        int n = deflater.deflate(buf);
        chunk(out, "IDAT", Arrays.copyOf(buf, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A small valid PNG (for tests that need a good image). */
    public static byte[] smallPng(Color color) throws IOException {
        BufferedImage img = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, 64, 48);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(typeBytes);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
