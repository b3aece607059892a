package io.imageclassifier.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
                        double top1 = round == 0 ? top1(env, session, tensors, dev.labels()) : Double.NaN;
                        double rate = rate(env, session, tensors, threads, seconds, v.reuseTensor());
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

    private static double top1(OrtEnvironment env, OrtSession session, List<float[]> tensors, int[] labels)
            throws OrtException {
        String in = session.getInputNames().iterator().next();
        long[] shape = inputShape(session);
        int right = 0;
        for (int i = 0; i < tensors.size(); i++) {
            try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensors.get(i)), shape);
                    OrtSession.Result r = session.run(Map.of(in, t))) {
                float[] scores = ((float[][]) r.get(0).getValue())[0];
                int best = 0;
                for (int k = 1; k < scores.length; k++) {
                    if (scores[k] > scores[best]) {
                        best = k;
                    }
                }
                right += best == labels[i] ? 1 : 0;
            }
        }
        return right / (double) tensors.size();
    }

    private static long[] inputShape(OrtSession session) throws OrtException {
        long[] shape = ((ai.onnxruntime.TensorInfo) session.getInputInfo().values().iterator().next().getInfo()).getShape()
                .clone();
        shape[0] = 1;
        return shape;
    }

    private static double rate(OrtEnvironment env, OrtSession session, List<float[]> tensors, int threads,
            double seconds, boolean reuseTensor) throws Exception {
        String in = session.getInputNames().iterator().next();
        String out = session.getOutputNames().iterator().next();
        long[] shape = inputShape(session);
        int size = tensors.get(0).length;
        java.util.concurrent.atomic.AtomicBoolean measuring = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.LongAdder done = new java.util.concurrent.atomic.LongAdder();
        List<Thread> workers = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread th = new Thread(() -> {
                FloatBuffer direct = ByteBuffer.allocateDirect(size * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                try (OnnxTensor reused = OnnxTensor.createTensor(env, direct, shape)) {
                    for (int i = first; !stop.get(); i += threads) {
                        direct.clear();
                        direct.put(tensors.get(i % tensors.size())).flip();
                        if (reuseTensor) {
                            try (OrtSession.Result r = session.run(Map.of(in, reused), Set.of(out))) {
                                ((OnnxTensor) r.get(0)).getFloatBuffer();
                            }
                        } else {
                            try (OnnxTensor tensor = OnnxTensor.createTensor(env, direct, shape);
                                    OrtSession.Result r = session.run(Map.of(in, tensor), Set.of(out))) {
                                ((OnnxTensor) r.get(0)).getFloatBuffer();
                            }
                        }
                        if (measuring.get()) {
                            done.increment();
                        }
                    }
                } catch (Exception e) {
                    failure.set(e);
                }
            });
            th.start();
            workers.add(th);
        }
        Thread.sleep(1000); // warm-up
        measuring.set(true);
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        long n = done.sum();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        for (Thread th : workers) {
            th.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return n / elapsed;
    }
}
