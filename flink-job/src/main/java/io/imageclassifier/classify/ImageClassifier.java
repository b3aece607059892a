package io.imageclassifier.classify;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.imageclassifier.classify.PreprocessSpec.OutputKind;
import io.imageclassifier.record.DeadLetterReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Classifies image bytes: decode, preprocess, one model run, softmax and top-k. One per Flink
 * subtask (not thread-safe: it reuses its buffers); the model session behind it is shared through
 * a {@link SharedModelRegistry} lease, which {@link #close()} releases, or held by someone else
 * ({@link #on}: a model version the caller keeps open while it uses this classifier).
 *
 * <p>Failures are sorted by cause: whatever the bytes of one image can make go wrong (decoding and
 * preprocessing) is an {@link ImageRejectedException}, which becomes a dead letter; a failed model
 * run is an {@link InferenceFailedException}, a fault of this process that fails the task.
 */
public final class ImageClassifier implements AutoCloseable {

    private final SharedModelRegistry.Lease lease;
    private final LoadedModel model;
    private final ImageDecoder decoder;
    private final Preprocessor preprocessor;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final int topK;
    private final int numClasses;
    private final boolean logits;

    // Per-instance buffers, reused for every single-image classification.
    private final float[] tensor;
    private final FloatBuffer direct;
    private final double[] probabilities;

    private ImageClassifier(SharedModelRegistry.Lease lease, LoadedModel model, ModelConfig config) {
        this.lease = lease;
        this.model = model;
        this.env = model.environment();
        this.session = model.session();
        this.decoder = new ImageDecoder(config.limits());
        this.preprocessor = new Preprocessor(model.spec());
        this.numClasses = model.labels().size();
        this.topK = Math.min(config.topK(), numClasses);
        this.logits = model.spec().outputKind() == OutputKind.LOGITS;
        this.tensor = new float[preprocessor.tensorSize()];
        this.direct = directFloats(preprocessor.tensorSize());
        this.probabilities = new double[numClasses];
    }

    /** A classifier on the JVM-wide shared session of {@code config}, reading local model files. */
    public static ImageClassifier open(ModelConfig config) throws ModelLoadException {
        return open(config, ModelFetcher.local(), SharedModelRegistry.jvmWide());
    }

    /** A classifier holding a lease from {@code registry}; files are fetched with {@code fetcher}. */
    public static ImageClassifier open(ModelConfig config, ModelFetcher fetcher, SharedModelRegistry registry)
            throws ModelLoadException {
        SharedModelRegistry.Lease lease = registry.acquire(config, fetcher);
        try {
            return new ImageClassifier(lease, lease.model(), config);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /**
     * A classifier on {@code model} that holds no lease: the caller keeps the model open for as
     * long as it classifies with it ({@code config} gives top-k and the input limits).
     */
    public static ImageClassifier on(LoadedModel model, ModelConfig config) {
        return new ImageClassifier(null, model, config);
    }

    public LoadedModel model() {
        return model;
    }

    /** Decodes, preprocesses and classifies one image. */
    public ClassificationResult classify(byte[] bytes) throws ImageRejectedException {
        long t0 = System.nanoTime();
        RgbImage img = decoder.decode(bytes, preprocessor.spec());
        long t1 = System.nanoTime();
        preprocess(img, tensor);
        direct.clear();
        direct.put(tensor).flip();
        long t2 = System.nanoTime();
        float[] out = run(direct, 1);
        long t3 = System.nanoTime();
        return result(out, 0, t1 - t0, t2 - t1, t3 - t2);
    }

    /**
     * Decodes and preprocesses one image into a new array, for {@link #classifyBatch}. The array
     * holds {@link Preprocessor#tensorSize()} floats in the model's layout.
     */
    public float[] decodeAndPreprocess(byte[] bytes) throws ImageRejectedException {
        float[] out = new float[preprocessor.tensorSize()];
        preprocess(decoder.decode(bytes, preprocessor.spec()), out);
        return out;
    }

    /** Preprocessing, like decoding, only sees this image: what goes wrong in it is about this image. */
    private void preprocess(RgbImage img, float[] out) throws ImageRejectedException {
        try {
            preprocessor.preprocess(img, out, 0);
        } catch (RuntimeException e) {
            throw new ImageRejectedException(DeadLetterReason.DECODE_ERROR,
                    "cannot preprocess a " + img.width() + "x" + img.height() + " image: " + e, e);
        }
    }

    /** Classifies already preprocessed images in one model run; results in input order. */
    public List<ClassificationResult> classifyBatch(List<float[]> images) {
        int n = images.size();
        if (n == 0) {
            return List.of();
        }
        int size = preprocessor.tensorSize();
        FloatBuffer batch = directFloats(n * size);
        for (float[] img : images) {
            if (img.length != size) {
                throw new IllegalArgumentException("a preprocessed image has " + img.length + " floats, expected " + size);
            }
            batch.put(img);
        }
        batch.flip();
        long t0 = System.nanoTime();
        float[] out = run(batch, n);
        long perImage = (System.nanoTime() - t0) / n;
        List<ClassificationResult> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            results.add(result(out, i * numClasses, 0, 0, perImage));
        }
        return results;
    }

    private float[] run(FloatBuffer input, int n) {
        PreprocessSpec spec = preprocessor.spec();
        float[] values;
        try (OnnxTensor t = OnnxTensor.createTensor(env, input, spec.inputShape(n));
                OrtSession.Result r = session.run(Map.of(spec.inputName(), t), Set.of(spec.outputName()))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            values = new float[fb.remaining()];
            fb.get(values);
        } catch (OrtException | RuntimeException e) {
            throw new InferenceFailedException("model " + model.name() + " (" + model.version() + ") failed to run: "
                    + e.getMessage(), e);
        }
        if (values.length != n * numClasses) {
            throw new InferenceFailedException("model " + model.name() + " returned " + values.length + " values for "
                    + n + " image(s) of " + numClasses + " classes", null);
        }
        return values;
    }

    private ClassificationResult result(float[] out, int from, long decode, long pre, long infer) {
        if (logits) {
            Scores.softmax(out, from, numClasses, probabilities);
        } else {
            Scores.copy(out, from, numClasses, probabilities);
        }
        int[] best = Scores.topK(probabilities, numClasses, topK);
        int top = best[0];
        return new ClassificationResult(top, model.labels().get(top), probabilities[top],
                Scores.entries(best, probabilities, model.labels()), model.name(), model.version(), decode, pre, infer);
    }

    private static FloatBuffer directFloats(int n) {
        return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Releases this classifier's lease on the shared session, if it holds one. */
    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}
