package io.imageclassifier.classify;

import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Rough decode + preprocess timing against the plain approach (ImageIO.read, per-pixel getRGB,
 * then the same bilinear preprocessing), on the dev set's ~0.2 MP JPEGs and on 12 MP JPEGs made by
 * upscaling them. Not a test: run with
 * {@code java -cp <test classpath> io.imageclassifier.classify.DecodeBenchmark [rounds]}.
 */
public final class DecodeBenchmark {

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = SharedData.dir().resolve("images/imagenet-dev");
        List<byte[]> small = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".JPEG")).sorted()::iterator) {
                small.add(Files.readAllBytes(p));
            }
        }
        List<byte[]> large = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            large.add(upscale(small.get(i * 30), 4000, 3000));
        }
        PreprocessSpec spec = PreprocessSpec.defaults();
        for (int r = 0; r < rounds; r++) {
            report("small", small, spec);
            report("12MP", large, spec);
        }
    }

    private static void report(String name, List<byte[]> images, PreprocessSpec spec) throws Exception {
        double plain = timePlain(images, spec);
        double ours = timeOurs(images, spec);
        System.out.printf("%-5s plain %.2f ms/img, ours %.2f ms/img, speed-up %.2fx%n", name, plain, ours, plain / ours);
    }

    static double timeOurs(List<byte[]> images, PreprocessSpec spec) throws Exception {
        ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults());
        Preprocessor pre = new Preprocessor(spec);
        float[] out = new float[pre.tensorSize()];
        long start = System.nanoTime();
        for (byte[] b : images) {
            pre.preprocess(decoder.decode(b, spec), out, 0);
        }
        return (System.nanoTime() - start) / 1e6 / images.size();
    }

    static double timePlain(List<byte[]> images, PreprocessSpec spec) throws Exception {
        Preprocessor pre = new Preprocessor(spec);
        float[] out = new float[pre.tensorSize()];
        long start = System.nanoTime();
        for (byte[] b : images) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(b));
            int w = img.getWidth();
            int h = img.getHeight();
            byte[] rgb = new byte[w * h * 3];
            for (int y = 0, o = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = img.getRGB(x, y);
                    rgb[o++] = (byte) (p >> 16);
                    rgb[o++] = (byte) (p >> 8);
                    rgb[o++] = (byte) p;
                }
            }
            pre.preprocess(RgbImage.packed(w, h, rgb), out, 0);
        }
        return (System.nanoTime() - start) / 1e6 / images.size();
    }

    static byte[] upscale(byte[] jpeg, int w, int h) throws Exception {
        BufferedImage src = ImageIO.read(new ByteArrayInputStream(jpeg));
        BufferedImage big = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = big.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return TestImages.jpeg(big, false);
    }
}
