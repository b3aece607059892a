package io.imageclassifier.classify;

import io.imageclassifier.testing.ImageMagick;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The seeds the decoder fuzz test mutates: real photos from the shared data, whole (a PNG and a
 * JPEG) and shrunk to about 96 pixels and written in every format and layout the decoder reads
 * (baseline/progressive/CMYK/EXIF JPEG; RGB, RGBA, grey, 16-bit and palette PNG; GIF; BMP; TIFF;
 * lossless WebP), plus lossy, alpha, lossless and animated WebP, HEIC and AVIF where Debian's
 * ImageMagick can write them.
 */
final class FuzzCorpus {

    /** One seed: a name for failure messages and its bytes. */
    record Seed(String name, byte[] bytes) {}

    private FuzzCorpus() {}

    static List<Seed> seeds(boolean withHeif) throws IOException {
        List<Seed> seeds = new ArrayList<>();
        seeds.add(new Seed("rocket.jpg", Files.readAllBytes(SharedData.photo("rocket.jpg"))));
        seeds.add(new Seed("camera.png", Files.readAllBytes(SharedData.photo("camera.png"))));
        BufferedImage coffee = shrink(ImageIO.read(SharedData.photo("coffee.png").toFile()), 96, 64,
                BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage chelsea = shrink(ImageIO.read(SharedData.photo("chelsea.png").toFile()), 90, 60,
                BufferedImage.TYPE_3BYTE_BGR);
        seeds.add(new Seed("coffee.jpg", TestImages.jpeg(coffee, false)));
        seeds.add(new Seed("chelsea-progressive.jpg", TestImages.jpeg(chelsea, true)));
        seeds.add(new Seed("cmyk.jpg", TestImages.cmykJpeg(48, 32)));
        seeds.add(new Seed("exif-rotated.jpg", TestImages.jpegWithOrientation(coffee, 6, true)));
        seeds.add(new Seed("coffee.png", TestImages.write(coffee, "png")));
        seeds.add(new Seed("chelsea-rgba.png", TestImages.write(withAlpha(chelsea), "png")));
        seeds.add(new Seed("chelsea-grey.png", TestImages.write(shrink(chelsea, 90, 60, BufferedImage.TYPE_BYTE_GRAY), "png")));
        seeds.add(new Seed("coffee-16bit.png", TestImages.write(TestImages.sixteenBit(coffee), "png")));
        seeds.add(new Seed("coffee-palette.png", TestImages.write(shrink(coffee, 96, 64, BufferedImage.TYPE_BYTE_INDEXED), "png")));
        seeds.add(new Seed("chelsea.gif", TestImages.write(shrink(chelsea, 90, 60, BufferedImage.TYPE_BYTE_INDEXED), "gif")));
        seeds.add(new Seed("animated.gif", TestImages.animatedGif(24, 16, TestImages.RED, TestImages.BLUE)));
        seeds.add(new Seed("coffee.bmp", TestImages.write(coffee, "bmp")));
        seeds.add(new Seed("chelsea-palette.bmp", TestImages.write(shrink(chelsea, 90, 60, BufferedImage.TYPE_BYTE_INDEXED), "bmp")));
        seeds.add(new Seed("coffee.tif", TestImages.write(coffee, "tiff")));
        seeds.add(new Seed("quadrants-lossless.webp", TestImages.webpLossless(24, 16)));
        if (ImageMagick.available()) {
            byte[] png = TestImages.write(coffee, "png");
            seeds.add(new Seed("coffee-lossy.webp", ImageMagick.convert(png, "png", "webp")));
            byte[] rgba = TestImages.write(withAlpha(chelsea), "png");
            seeds.add(new Seed("chelsea-alpha-lossy.webp", ImageMagick.convert(rgba, "png", "webp")));
            seeds.add(new Seed("chelsea-alpha-lossless.webp", ImageMagick.convert(rgba, "png", "webp",
                    "-define", "webp:lossless=true")));
            seeds.add(new Seed("animated.webp", ImageMagick.convert(png, "png", "webp", "-size", "96x64", "xc:blue",
                    "-loop", "0")));
            if (withHeif) {
                seeds.add(new Seed("coffee.heic", ImageMagick.convert(png, "png", "heic")));
                seeds.add(new Seed("coffee.avif", ImageMagick.convert(png, "png", "avif")));
            }
        }
        return seeds;
    }

    static BufferedImage shrink(BufferedImage src, int w, int h, int type) {
        BufferedImage out = new BufferedImage(w, h, type);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    /** A copy whose alpha falls from opaque on the left to transparent on the right. */
    private static BufferedImage withAlpha(BufferedImage src) {
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) {
                int alpha = 255 - x * 255 / src.getWidth();
                out.setRGB(x, y, alpha << 24 | (src.getRGB(x, y) & 0xffffff));
            }
        }
        return out;
    }
}
