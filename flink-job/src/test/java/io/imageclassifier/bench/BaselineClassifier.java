package io.imageclassifier.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The straightforward implementation the benchmark compares against: {@code ImageIO.read} at full
 * resolution, a bilinear {@code Graphics2D.drawImage} so the shorter side is 256, the centre
 * 224x224 read with {@code getRGB}, normalised into a new float array, and one ONNX Runtime run per
 * image on a new tensor. Nothing is reused between images. Thread-safe (the session is).
 */
final class BaselineClassifier {

    private static final int RESIZE = 256;
    private static final int CROP = 224;
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String input;

    BaselineClassifier(OrtEnvironment env, OrtSession session, String input) {
        this.env = env;
        this.session = session;
        this.input = input;
    }

    /** The top-1 class index. */
    int classify(byte[] bytes) throws IOException, OrtException {
        BufferedImage img = javax.imageio.ImageIO.read(new ByteArrayInputStream(bytes));
        if (img == null) {
            throw new IOException("not an image");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int rw = w <= h ? RESIZE : (int) ((long) RESIZE * w / h);
        int rh = w <= h ? (int) ((long) RESIZE * h / w) : RESIZE;
        BufferedImage resized = new BufferedImage(rw, rh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, rw, rh, null);
        g.dispose();
        int left = (int) Math.rint((rw - CROP) / 2.0);
        int top = (int) Math.rint((rh - CROP) / 2.0);
        int[] argb = resized.getRGB(left, top, CROP, CROP, null, 0, CROP);
        float[] chw = new float[3 * CROP * CROP];
        int plane = CROP * CROP;
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            chw[i] = ((p >> 16 & 0xff) / 255f - MEAN[0]) / STD[0];
            chw[plane + i] = ((p >> 8 & 0xff) / 255f - MEAN[1]) / STD[1];
            chw[2 * plane + i] = ((p & 0xff) / 255f - MEAN[2]) / STD[2];
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(chw), new long[] {1, 3, CROP, CROP});
                OrtSession.Result r = session.run(Map.of(input, t))) {
            float[] logits = ((float[][]) r.get(0).getValue())[0];
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}
