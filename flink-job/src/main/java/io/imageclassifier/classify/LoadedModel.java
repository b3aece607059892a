package io.imageclassifier.classify;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import io.imageclassifier.classify.ModelConfig.ExecutionProvider;
import io.imageclassifier.classify.PreprocessSpec.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model: its ONNX Runtime session with the preprocessing spec, labels, name and
 * version that belong to it. Created and closed only by {@link SharedModelRegistry}; the session
 * is thread-safe and shared by every task that holds a lease.
 */
public final class LoadedModel {

    private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

    private final OrtEnvironment env;
    private final OrtSession session;
    private final PreprocessSpec spec;
    private final Labels labels;
    private final String version;
    private final String sha256;
    private final ExecutionProvider executionProvider;
    private volatile boolean closed;

    private LoadedModel(OrtEnvironment env, OrtSession session, PreprocessSpec spec, Labels labels, String version,
            String sha256, ExecutionProvider executionProvider) {
        this.env = env;
        this.session = session;
        this.spec = spec;
        this.labels = labels;
        this.version = version;
        this.sha256 = sha256;
        this.executionProvider = executionProvider;
    }

    /**
     * Fetches the model, its sidecar and labels, creates the session and checks that the model's
     * input and output match the spec and the labels.
     */
    static LoadedModel load(ModelConfig config, ModelFetcher fetcher) throws ModelLoadException {
        String location = config.modelLocation();
        PreprocessSpec spec;
        Path modelFile;
        Labels labels;
        String sha256;
        try {
            modelFile = fetcher.fetch(location);
            spec = PreprocessSpec.forModel(location, fetcher);
            String labelsLocation = config.labelsLocation() != null ? config.labelsLocation()
                    : spec.labels() != null ? ModelFetcher.resolveSibling(location, spec.labels())
                    : config.defaultLabelsLocation();
            if (labelsLocation == null) {
                throw new ModelLoadException("no labels for model " + location
                        + ": set a labels file, or 'labels' in the model's sidecar");
            }
            labels = Labels.load(fetcher.fetch(labelsLocation));
            sha256 = sha256Prefix(modelFile);
        } catch (ModelLoadException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("cannot load model " + location + ": no such file " + e.getMessage(), e);
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelLoadException("cannot load model " + location + ": " + e.getMessage(), e);
        }

        OrtEnvironment env = OrtEnvironments.get();
        OrtSession session = null;
        ExecutionProvider used = ExecutionProvider.CPU;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(config.intraOpThreads());
            options.setInterOpNumThreads(1);
            // Spinning intra-op threads collapse throughput when the cores are shared with other slots.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (Int8Precision.needsExactAccumulation()) {
                options.addConfigEntry(Int8Precision.SESSION_CONFIG_KEY, "1");
            }
            if (config.executionProvider() == ExecutionProvider.CUDA) {
                try {
                    options.addCUDA(0);
                    used = ExecutionProvider.CUDA;
                } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                    LOG.warn("CUDA execution provider unavailable ({}); model {} runs on the CPU", e.getMessage(), location);
                }
            }
            session = env.createSession(modelFile.toString(), options);
            checkContract(session, spec, labels, location);
            String version = config.version() != null ? config.version() : sha256;
            return new LoadedModel(env, session, spec, labels, version, sha256, used);
        } catch (OrtException e) {
            closeQuietly(session);
            throw new ModelLoadException("ONNX Runtime cannot load model " + location + ": " + e.getMessage(), e);
        } catch (ModelLoadException | RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    /** Fails unless the session's input and output are what the spec and labels promise. */
    static void checkContract(OrtSession session, PreprocessSpec spec, Labels labels, String location)
            throws OrtException, ModelLoadException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        NodeInfo in = inputs.get(spec.inputName());
        if (in == null) {
            throw new ModelLoadException("model " + location + " has no input '" + spec.inputName()
                    + "' (the sidecar's input_name); its inputs: " + describe(inputs));
        }
        NodeInfo out = outputs.get(spec.outputName());
        if (out == null) {
            throw new ModelLoadException("model " + location + " has no output '" + spec.outputName()
                    + "' (the sidecar's output_name); its outputs: " + describe(outputs));
        }
        String expectedIn = spec.layout() == Layout.NCHW
                ? "[N, 3, " + spec.height() + ", " + spec.width() + "]"
                : "[N, " + spec.height() + ", " + spec.width() + ", 3]";
        long[] want = spec.inputShape(-1);
        if (!matches(in.getInfo(), want)) {
            throw new ModelLoadException("model " + location + " input '" + spec.inputName() + "' is "
                    + describe(in.getInfo()) + " but the preprocessing spec (" + spec.layout() + ", "
                    + spec.height() + "x" + spec.width() + ") expects float32 " + expectedIn);
        }
        if (!matches(out.getInfo(), new long[] {-1, labels.size()})) {
            throw new ModelLoadException("model " + location + " output '" + spec.outputName() + "' is "
                    + describe(out.getInfo()) + " but " + labels.size() + " labels expect float32 [N, "
                    + labels.size() + "]");
        }
    }

    /** Tensor of float with {@code want}'s rank; fixed dims equal (a -1 on either side matches). */
    private static boolean matches(ValueInfo info, long[] want) {
        if (!(info instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
            return false;
        }
        long[] shape = t.getShape();
        if (shape.length != want.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0 && want[i] >= 0 && shape[i] != want[i]) {
                return false;
            }
        }
        return true;
    }

    private static String describe(ValueInfo info) {
        if (!(info instanceof TensorInfo t)) {
            return "not a tensor (" + info + ")";
        }
        StringBuilder sb = new StringBuilder(t.type.toString().toLowerCase(java.util.Locale.ROOT)).append(" [");
        long[] shape = t.getShape();
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
        }
        return sb.append(']').toString();
    }

    private static String describe(Map<String, NodeInfo> nodes) {
        StringBuilder sb = new StringBuilder();
        nodes.forEach((name, n) -> sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(name).append("' ")
                .append(describe(n.getInfo())));
        return sb.toString();
    }

    /** First 12 hex digits of the file's SHA-256. */
    static String sha256Prefix(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.debug("closing a failed session", e);
            }
        }
    }

    public OrtEnvironment environment() {
        return env;
    }

    public OrtSession session() {
        return session;
    }

    public PreprocessSpec spec() {
        return spec;
    }

    public Labels labels() {
        return labels;
    }

    /** The sidecar's {@code model_name}, or the model file's name without {@code .onnx}. */
    public String name() {
        return spec.modelName();
    }

    /**
     * The version rows name: the configured {@link ModelConfig#version()} (a model repository's
     * folder name), else {@link #sha256()}.
     */
    public String version() {
        return version;
    }

    /** First 12 hex digits of the model file's SHA-256. */
    public String sha256() {
        return sha256;
    }

    /** The provider the session actually runs on (CPU after a CUDA fallback). */
    public ExecutionProvider executionProvider() {
        return executionProvider;
    }

    /** Whether the session has been closed (its last lease was released). */
    public boolean isClosed() {
        return closed;
    }

    /** Closes the session; only the registry calls this, when the last lease is released. */
    void close() throws OrtException {
        if (!closed) {
            closed = true;
            session.close();
        }
    }
}
