package io.imageclassifier.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.Int8Precision;
import io.imageclassifier.config.JobConfigParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Model-only rate of ONNX Runtime session options on this CPU (issue #15, "inference at the
 * limit"): the dev set is decoded and preprocessed once by the project's classifier, then each
 * variant's session classifies the ready tensors with {@code T} threads sharing the session (as the
 * job's subtasks share one per TaskManager), one image per run. Prints per variant: session creation
 * time, images/s, and top-1 on the labelled set, then {@code RESULT model_only_<variant> dev <img/s>}.
 *
 * <p>Usage: {@code OrtOptionsBenchmark SHARED_DIR [SECONDS_PER_VARIANT] [THREADS] [ROUNDS]}; variants are run
 * in rounds (A B C .. A B C ..) so a drift of the machine spreads over all of them.
 */
public final class OrtOptionsBenchmark {

    record Variant(String name, Consumer<OrtSession.SessionOptions> options, boolean reuseTensor) {}

    private OrtOptionsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        ModelConfig config = ModelConfig.from(JobConfigParser.parse(new String[] {"--no-console"},
                Map.of("SHARED_DIR", shared.toString())).config().model());
        ImageSet dev = ImageSet.dev(shared.resolve("images/imagenet-dev"), Integer.MAX_VALUE);
        List<float[]> tensors = new ArrayList<>();
        try (ImageClassifier c = ImageClassifier.open(config)) {
            for (byte[] b : dev.bytes()) {
                tensors.add(c.decodeAndPreprocess(b));
            }
        }
        String model = config.modelLocation();
        List<Variant> variants = List.of(
                new Variant("shipped", o -> {}, false),
                new Variant("reused_input_tensor", o -> {}, true),
                new Variant("extended_opt", o -> set(o, OrtSession.SessionOptions.OptLevel.EXTENDED_OPT), false),
                new Variant("basic_opt", o -> set(o, OrtSession.SessionOptions.OptLevel.BASIC_OPT), false),
                new Variant("denormal_as_zero", o -> entry(o, "session.set_denormal_as_zero", "1"), false),
                new Variant("no_mem_pattern_no_arena", o -> {
                    try {
                        o.setMemoryPatternOptimization(false);
                        o.setCPUArenaAllocator(false);
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                }, false),
                new Variant("intra_op_2_spinning", o -> {
                    try {
                        o.setIntraOpNumThreads(2);
                        o.addConfigEntry("session.intra_op.allow_spinning", "1");
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                }, false));
        System.out.printf(Locale.ROOT, "==> ONNX Runtime options, model only: %s, %d dev tensors, %d threads sharing "
                + "one session, %.0f s per variant x %d rounds%n", model, tensors.size(), threads, seconds, rounds);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (Variant v : variants) {
                long t0 = System.nanoTime();
                try (OrtSession.SessionOptions o = shipped(config.intraOpThreads())) {
                    v.options().accept(o);
                    try (OrtSession session = env.createSession(model, o)) {
                        double createMs = (System.nanoTime() - t0) / 1e6;
                        LoopBench.WorkerFactory<float[]> workers = workers(env, session, v.reuseTensor());
                        double top1 = round == 0 ? top1(LoopBench.predictions(workers, tensors), dev.labels())
                                : Double.NaN;
                        double rate = LoopBench.imagesPerSecond(workers, tensors, threads, 1000,
                                (long) (seconds * 1000), LoopBench.MIN_COMPLETIONS);
                        rates.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(rate);
                        System.out.printf(Locale.ROOT, "    round %d %-26s %7.1f img/s  session %5.0f ms%s%n", round + 1,
                                v.name(), rate, createMs, Double.isNaN(top1) ? "" : String.format(Locale.ROOT,
                                        "  top-1 %.3f", top1));
                    }
                }
            }
        }
        for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
            System.out.printf(Locale.ROOT, "RESULT model_only_%s dev %.1f%n", e.getKey(), Report.median(e.getValue()));
        }
        System.exit(0);
    }

    private static double top1(int[] predicted, int[] labels) {
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == labels[i] ? 1 : 0;
        }
        return right / (double) predicted.length;
    }

    /** The options {@code classify.LoadedModel} sets. */
    static OrtSession.SessionOptions shipped(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(intraOpThreads);
        o.setInterOpNumThreads(1);
        o.addConfigEntry("session.intra_op.allow_spinning", "0");
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (Int8Precision.needsExactAccumulation()) {
            o.addConfigEntry(Int8Precision.SESSION_CONFIG_KEY, "1");
        }
        return o;
    }

    private static void set(OrtSession.SessionOptions o, OrtSession.SessionOptions.OptLevel level) {
        try {
            o.setOptimizationLevel(level);
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void entry(OrtSession.SessionOptions o, String key, String value) {
        try {
            o.addConfigEntry(key, value);
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[] inputShape(OrtSession session) throws OrtException {
        long[] shape = ((TensorInfo) session.getInputInfo().values().iterator().next().getInfo()).getShape().clone();
        shape[0] = 1;
        return shape;
    }

    /**
     * One worker per thread, as each subtask has its classifier: its own direct input buffer (and,
     * with {@code reuseTensor}, one input tensor over it for every run) on the shared session.
     */
    static LoopBench.WorkerFactory<float[]> workers(OrtEnvironment env, OrtSession session,
            boolean reuseTensor) throws OrtException {
        String in = session.getInputNames().iterator().next();
        String out = session.getOutputNames().iterator().next();
        long[] shape = inputShape(session);
        return () -> {
            FloatBuffer direct = ByteBuffer.allocateDirect((int) (4 * shape[1] * shape[2] * shape[3]))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            OnnxTensor reused = reuseTensor ? OnnxTensor.createTensor(env, direct, shape) : null;
            return tensor -> {
                direct.clear();
                direct.put(tensor).flip();
                OnnxTensor input = reused != null ? reused : OnnxTensor.createTensor(env, direct, shape);
                try (OrtSession.Result r = session.run(Map.of(in, input), Set.of(out))) {
                    return argmax(((OnnxTensor) r.get(0)).getFloatBuffer());
                } finally {
                    if (input != reused) {
                        input.close();
                    }
                }
            };
        };
    }

    private static int argmax(FloatBuffer scores) {
        int best = 0;
        for (int k = 1; k < scores.limit(); k++) {
            if (scores.get(k) > scores.get(best)) {
                best = k;
            }
        }
        return best;
    }
}
