package io.imageclassifier.bench;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Generates the camera-size set: 12-megapixel JPEGs (4000x3000, every other one portrait
 * 3000x4000, quality 90, 4:2:0 chroma) made from the shared sample photos, cached in a folder so
 * later runs reuse them.
 *
 * <p>An upscaled photo is unnaturally smooth and compresses far better than a real camera's
 * (about 0.5 MB instead of 3-6 MB), which makes it cheap to entropy-decode. To give the files the
 * size and decode cost of real photos, mild sensor-like noise is added after upscaling: each
 * channel gets an independent, roughly Gaussian offset with a standard deviation of
 * {@value #NOISE_SIGMA} levels (the sum of four uniform draws), per pixel.
 */
final class CameraSet {

    static final int LONG_SIDE = 4000;
    static final int SHORT_SIDE = 3000;
    static final float QUALITY = 0.90f;
    static final double NOISE_SIGMA = 8.0;
    /** Part of the cache folder's name: change it when the recipe changes. */
    static final String VERSION = "4000x3000-q90-noise8-v1";

    private CameraSet() {}

    /** The first {@code count} camera images, generated into {@code cacheDir} where missing. */
    static List<Path> ensure(Path photosDir, Path cacheDir, int count) throws IOException {
        List<Path> photos;
        try (Stream<Path> s = Files.list(photosDir)) {
            photos = s.filter(p -> p.toString().matches("(?i).*\\.(png|jpe?g)$")).sorted().toList();
        }
        if (photos.isEmpty()) {
            throw new IOException("no photos in " + photosDir);
        }
        Path dir = cacheDir.resolve("camera-" + VERSION);
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Path photo = photos.get(i % photos.size());
            boolean portrait = (i / photos.size()) % 2 == 1;
            String base = photo.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            Path file = dir.resolve(String.format("camera-%03d-%s.jpg", i, base));
            if (!Files.exists(file)) {
                long t0 = System.nanoTime();
                byte[] jpeg = make(ImageIO.read(photo.toFile()), portrait, i);
                Path tmp = dir.resolve("." + file.getFileName());
                Files.write(tmp, jpeg);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                System.out.printf("  generated %s (%d KB) in %d ms%n", file.getFileName(), jpeg.length / 1024,
                        (System.nanoTime() - t0) / 1_000_000);
            }
            out.add(file);
        }
        return out;
    }

    private static byte[] make(BufferedImage photo, boolean portrait, long seed) throws IOException {
        int w = portrait ? SHORT_SIDE : LONG_SIDE;
        int h = portrait ? LONG_SIDE : SHORT_SIDE;
        // Cover: scale so the photo fills w x h, cropping the excess of the longer side at its centre.
        double scale = Math.max((double) w / photo.getWidth(), (double) h / photo.getHeight());
        int sw = (int) Math.round(w / scale);
        int sh = (int) Math.round(h / scale);
        int sx = (photo.getWidth() - sw) / 2;
        int sy = (photo.getHeight() - sh) / 2;
        BufferedImage big = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = big.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(photo, 0, 0, w, h, sx, sy, sx + sw, sy + sh, null);
        g.dispose();
        addNoise(((DataBufferByte) big.getRaster().getDataBuffer()).getData(), seed);
        return encode(big);
    }

    private static void addNoise(byte[] samples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // Sum of 4 uniforms on [-a, a] has standard deviation a * sqrt(4/3); choose a for NOISE_SIGMA.
        int a = (int) Math.round(NOISE_SIGMA / Math.sqrt(4.0 / 3.0));
        int span = 2 * a + 1;
        for (int i = 0; i < samples.length; i++) {
            int n = random.nextInt(span) + random.nextInt(span) + random.nextInt(span) + random.nextInt(span) - 4 * a;
            int v = (samples[i] & 0xff) + n;
            samples[i] = (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }

    private static byte[] encode(BufferedImage img) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try {
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(QUALITY);
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(8 << 20);
            try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
                writer.setOutput(out);
                writer.write(null, new IIOImage(img, null, null), p);
            }
            return bytes.toByteArray();
        } finally {
            writer.dispose();
        }
    }
}
