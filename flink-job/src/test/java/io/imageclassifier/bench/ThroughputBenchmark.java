package io.imageclassifier.bench;

import io.imageclassifier.classify.ClassificationResult;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.classify.ImageDecoder;
import io.imageclassifier.classify.LoadedModel;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.config.JobConfigParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The throughput benchmark behind {@code scripts/bench.sh}. For each image set it measures, on this
 * machine: {@code baseline} (the straightforward {@link BaselineClassifier}) and {@code bare} (the
 * project's {@link ImageClassifier}, as the job uses it) as images/s of {@code T} threads sharing
 * one session in a tight loop; {@code job}, the real job graph over the same files (see
 * {@link JobRun}); top-1 on the labelled set; and peak RSS of the job at parallelism 1 and T. It
 * ends with one {@code RESULT <figure> <set> <value>} line per figure. {@code --help} lists the
 * options.
 */
public final class ThroughputBenchmark {

    /** Bare work the parallelism-1 run (peak RSS only) is sized to, at most. */
    static final double RSS_RUN_SECONDS = 10;

    /** Time per step of the bare loop's images, to compare with the job's (its STAGES line). */
    static final Stages BARE_STAGES = new Stages();

    private ThroughputBenchmark() {}

    /** Sums of the decode, preprocess and inference times of classified images. */
    static final class Stages {
        private final LongAdder decode = new LongAdder();
        private final LongAdder pre = new LongAdder();
        private final LongAdder infer = new LongAdder();
        private final LongAdder images = new LongAdder();

        ClassificationResult add(ClassificationResult r) {
            decode.add(r.decodeNanos());
            pre.add(r.preprocessNanos());
            infer.add(r.inferenceNanos());
            images.increment();
            return r;
        }

        /** Per image since the last call, then starts again. */
        String takeSummary() {
            double n = Math.max(1, images.sumThenReset());
            return String.format(Locale.ROOT, "decodeMs=%.3f preprocessMs=%.3f inferenceMs=%.3f",
                    decode.sumThenReset() / 1e6 / n, pre.sumThenReset() / 1e6 / n, infer.sumThenReset() / 1e6 / n);
        }
    }

    public static void main(String[] args) throws Exception {
        BenchOptions o = BenchOptions.parse(args);
        if (o == null) {
            System.out.print(BenchOptions.HELP);
            return;
        }
        Files.createDirectories(o.workDir());
        Report report = new Report();
        report.header(o);

        // The job flags' model settings (e.g. --execution-provider cuda, --intra-op-threads) apply
        // to the loops' session too, so that every figure runs the same model the same way.
        List<String> modelFlags = new ArrayList<>(List.of("--no-console"));
        modelFlags.addAll(o.jobFlags());
        ModelConfig modelConfig = ModelConfig.from(JobConfigParser.parse(modelFlags.toArray(String[]::new),
                Map.of("SHARED_DIR", o.sharedDir().toString())).config().model());
        SharedModelRegistry registry = SharedModelRegistry.jvmWide();
        JobPhase jobs = new JobPhase(o.workDir(), o.sharedDir(), o.jobHeap(), o.jobFlags());

        try (SharedModelRegistry.Lease lease = registry.acquire(modelConfig, ModelFetcher.local())) {
            LoadedModel model = lease.model();
            LoopBench.WorkerFactory<byte[]> baseline = () -> {
                BaselineClassifier c = new BaselineClassifier(model.environment(), model.session(),
                        model.spec().inputName());
                return c::classify;
            };
            LoopBench.WorkerFactory<byte[]> bare = () -> {
                ImageClassifier c = ImageClassifier.open(modelConfig, ModelFetcher.local(), registry);
                return b -> BARE_STAGES.add(c.classify(b)).labelIndex();
            };
            // The libraries' own rates, without our code between them: the limit bare can approach.
            LoopBench.WorkerFactory<byte[]> decodeOnly = () -> {
                ImageDecoder d = new ImageDecoder(modelConfig.limits());
                return b -> d.decode(b, model.spec()).width();
            };
            LoopBench.WorkerFactory<float[]> modelOnly = OrtOptionsBenchmark.workers(model.environment(),
                    model.session(), true);
            for (String setName : o.sets()) {
                ImageSet set = load(setName, o);
                report.set(set);
                Limits limits = new Limits(decodeOnly, modelOnly, tensors(set, modelConfig, registry));
                measureSet(set, o, baseline, bare, limits, jobs, report);
                for (int n : o.batchSizes()) {
                    measureBatching(set, o, bare, batched(modelConfig, registry, n), n, report);
                }
            }
        }
        report.footer();
        System.exit(0); // ONNX Runtime leaves non-daemon threads behind
    }

    private static ImageSet load(String name, BenchOptions o) throws Exception {
        return switch (name) {
            case "dev" -> ImageSet.dev(o.sharedDir().resolve("images/imagenet-dev"), o.limit(200));
            case "camera" -> {
                System.out.printf("  camera set: %s%n", o.workDir().resolve("images"));
                yield ImageSet.unlabelled("camera", CameraSet.ensure(o.sharedDir().resolve("images/photos"),
                        o.workDir().resolve("images"), o.limit(12)));
            }
            default -> throw new IllegalArgumentException("unknown set '" + name + "' (dev, camera)");
        };
    }

    /**
     * Decode-only (the decoder the bare loop calls, at the scale it picks, no preprocessing) and
     * model-only (ONNX Runtime on ready tensors of the set, one reused input tensor) loops.
     */
    private record Limits(LoopBench.WorkerFactory<byte[]> decodeOnly, LoopBench.WorkerFactory<float[]> modelOnly,
            List<float[]> tensors) {}

    /** The preprocessed tensors of (at most 16 of) the set's images, for the model-only loop. */
    private static List<float[]> tensors(ImageSet set, ModelConfig config, SharedModelRegistry registry)
            throws Exception {
        try (ImageClassifier c = ImageClassifier.open(config, ModelFetcher.local(), registry)) {
            List<float[]> out = new ArrayList<>();
            for (byte[] b : set.bytes().subList(0, Math.min(16, set.bytes().size()))) {
                out.add(c.decodeAndPreprocess(b));
            }
            return out;
        }
    }

    private static void measureSet(ImageSet set, BenchOptions o, LoopBench.WorkerFactory<byte[]> baseline,
            LoopBench.WorkerFactory<byte[]> bare, Limits limits, JobPhase jobs, Report report) throws Exception {
        // One pass each: accuracy (and agreement), and JIT warm-up.
        int[] basePred = LoopBench.predictions(baseline, set.bytes());
        int[] barePred = LoopBench.predictions(bare, set.bytes());
        report.accuracy(set, basePred, barePred);

        // Rounds of baseline, bare and job back to back, so that each ratio compares runs made under
        // the same load: the ratios reported are medians of these paired ratios. A job run (minutes)
        // is compared with the mean of the bare runs just before and just after it, so that the
        // machine's speed drifting during the run does not land on one side of the ratio.
        List<Double> baseRuns = new ArrayList<>();
        List<Double> bareRuns = new ArrayList<>();
        List<Double> decodeRuns = new ArrayList<>();
        List<Double> modelRuns = new ArrayList<>();
        List<JobPhase.Result> jobRuns = new ArrayList<>();
        Path input = null;
        Path warmup = null;
        int expected = 0;
        int rounds = Math.max(o.reps(), o.jobReps());
        for (int r = 0; r < rounds; r++) {
            if (r < o.reps()) {
                baseRuns.add(LoopBench.imagesPerSecond(baseline, set.bytes(), o.threads(), o.warmupMillis(),
                        o.measureMillis(), o.minCompletions()));
                report.progress(set.name(), "baseline", baseRuns);
            }
            bareRun(set, o, bare, bareRuns, report);
            if (r < o.reps()) {
                decodeRuns.add(LoopBench.imagesPerSecond(limits.decodeOnly(), set.bytes(), o.threads(),
                        o.warmupMillis(), o.measureMillis(), o.minCompletions()));
                report.progress(set.name(), "decode", decodeRuns);
                modelRuns.add(LoopBench.imagesPerSecond(limits.modelOnly(), limits.tensors(), o.threads(),
                        o.warmupMillis(), o.measureMillis(), o.minCompletions()));
                report.progress(set.name(), "model", modelRuns);
            }
            if (r < o.jobReps()) {
                if (input == null) {
                    int images = (int) Math.max(set.files().size(), Math.round(bareRuns.get(0) * o.jobSeconds()));
                    int repeats = (images + set.files().size() - 1) / set.files().size();
                    input = jobs.input(set, repeats);
                    expected = repeats * set.files().size();
                    if (o.jobWarmupSeconds() > 0 || o.smoke()) {
                        int warmImages = (int) Math.max(set.files().size(),
                                Math.round(bareRuns.get(0) * o.jobWarmupSeconds()));
                        warmup = jobs.input(set, (warmImages + set.files().size() - 1) / set.files().size());
                    }
                }
                // The first run also measures latency under a paced load (see JobRun#paced).
                double pace = r == 0 && o.pacedLoad() > 0 ? o.pacedLoad() * bareRuns.get(0) : 0;
                JobPhase.Result j = jobs.run(input, warmup, pace, o.pacedSeconds(), o.threads(), set.name() + "-p" + o.threads() + "-" + r);
                check(j, expected);
                jobRuns.add(j);
                report.job(set.name(), o.threads(), j);
                if (r == rounds - 1) {
                    bareRun(set, o, bare, bareRuns, report); // the bracket after the last job run
                }
            }
        }
        JobPhase.Result p1 = null;
        if (o.threads() != 1 && o.rssAtOne()) {
            // For peak RSS only: an input of at most ~RSS_RUN_SECONDS of bare work keeps this slower run short.
            int images = (int) Math.max(set.files().size(),
                    Math.round(bareRuns.get(0) * Math.min(o.jobSeconds(), RSS_RUN_SECONDS)));
            int repeats = (images + set.files().size() - 1) / set.files().size();
            // With a warm-up run as the measured runs have: a second job in a JVM loads the model
            // again (the first job's session closed with it), which raises peak RSS by itself.
            p1 = jobs.run(jobs.input(set, repeats), warmup == null ? null : jobs.input(set, 1), 1, set.name() + "-p1");
            check(p1, repeats * set.files().size());
            report.job(set.name(), 1, p1);
        }
        report.summary(set, o.threads(), baseRuns, bareRuns, jobRuns, p1, expected);
        report.limits(set.name(), bareRuns, decodeRuns, modelRuns);
    }

    private static void bareRun(ImageSet set, BenchOptions o, LoopBench.WorkerFactory<byte[]> bare, List<Double> bareRuns,
            Report report) throws Exception {
        BARE_STAGES.takeSummary();
        bareRuns.add(LoopBench.imagesPerSecond(bare, set.bytes(), o.threads(), o.warmupMillis(), o.measureMillis(),
                o.minCompletions()));
        report.progress(set.name(), "bare", bareRuns);
        System.out.println("           per image: " + BARE_STAGES.takeSummary());
    }

    /**
     * The bare loop with micro-batched inference: each worker decodes and preprocesses {@code n}
     * images, then runs them through the model in one call. Measured right after a plain bare run,
     * so that the ratio compares runs under the same load.
     */
    private static void measureBatching(ImageSet set, BenchOptions o, LoopBench.WorkerFactory<byte[]> bare,
            LoopBench.WorkerFactory<byte[]> batched, int n, Report report) throws Exception {
        double plain = LoopBench.imagesPerSecond(bare, set.bytes(), o.threads(), o.warmupMillis(), o.measureMillis(),
                o.minCompletions());
        double withBatches = LoopBench.imagesPerSecond(batched, set.bytes(), o.threads(), o.warmupMillis(),
                o.measureMillis(), o.minCompletions());
        report.batching(set.name(), n, plain, withBatches);
    }

    private static LoopBench.WorkerFactory<byte[]> batched(ModelConfig config, SharedModelRegistry registry, int n) {
        return () -> {
            ImageClassifier c = ImageClassifier.open(config, ModelFetcher.local(), registry);
            List<float[]> pending = new ArrayList<>(n);
            return b -> {
                pending.add(c.decodeAndPreprocess(b));
                if (pending.size() == n) {
                    c.classifyBatch(pending);
                    pending.clear();
                }
                return -1;
            };
        };
    }

    private static void check(JobPhase.Result j, int expected) {
        if (j.rows() + j.deadLetters() != expected || j.deadLetters() != 0) {
            throw new IllegalStateException("the job wrote " + j.rows() + " rows and " + j.deadLetters()
                    + " dead letters for " + expected + " images");
        }
    }

    /** Command-line options; see {@link #HELP}. */
    record BenchOptions(List<String> sets, int limit, int threads, double seconds, int reps, int jobReps,
            double jobSeconds, double jobWarmupSeconds, double pacedLoad, double pacedSeconds, List<Integer> batchSizes,
            boolean rssAtOne, boolean smoke,
            Path workDir, Path sharedDir, String jobHeap,
            List<String> jobFlags) {

        static final String HELP = """
                Usage: ThroughputBenchmark [options] [-- job flags]
                  --sets LIST        image sets, comma-separated: dev, camera (default: dev,camera)
                  --limit N          at most N images per set (default: all 200 dev, 12 camera)
                  --threads T        loop threads and job parallelism (default: available cores)
                  --seconds S        measurement window of each loop run (default: 5)
                  --reps R           baseline runs, median reported (default: 3)
                  --job-reps R       job runs at parallelism T, median reported (default: 3);
                                     bare runs: the larger of the two, one before each baseline/job run
                  --job-seconds S    size the job input to about S seconds of bare work (default: 60)
                  --job-warmup-seconds S
                                     before each measured job run, the same graph runs in the same JVM
                                     over about S seconds of bare work, so the job is measured warm
                                     (default: 20; 0: measure the fresh JVM, JIT warm-up included)
                  --paced-load F     latency under load: after the first measured run the job, watching a
                                     folder, is fed files at F x the bare rate (default: 0.5; 0: skip)
                  --paced-seconds S  for S seconds (default: 20)
                  --batch-sizes LIST also run the bare loop with micro-batched inference, N images per
                                     model run, for each N in LIST (e.g. 4,8,16); prints bare_batchN/bare
                  --no-rss-at-1      skip the extra job run at parallelism 1 (peak RSS; input ~10 s of bare work)
                  --smoke            a few images, short windows, one run each: checks the harness works
                  --work-dir DIR     generated images, job inputs, outputs, logs (default: target/bench)
                  --shared-dir DIR   shared data (default: $SHARED_DIR, else ../shared)
                  --job-heap SIZE    the job JVM's heap, fixed and pre-touched (default: 1g)
                  -- FLAGS           passed on to the job, model flags also to the loops
                                     (e.g. -- --execution-provider cuda)
                """;

        long warmupMillis() {
            return smoke ? 300 : 2000;
        }

        long measureMillis() {
            return (long) (seconds * 1000);
        }

        int minCompletions() {
            return smoke ? 2 : LoopBench.MIN_COMPLETIONS;
        }

        int limit(int all) {
            return limit > 0 ? Math.min(limit, all) : all;
        }

        static BenchOptions parse(String[] args) {
            List<String> sets = List.of("dev", "camera");
            int limit = 0;
            int threads = Runtime.getRuntime().availableProcessors();
            double seconds = 5;
            int reps = 3;
            int jobReps = 3;
            double jobSeconds = 60;
            double jobWarmupSeconds = 20;
            List<Integer> batchSizes = List.of();
            double pacedLoad = 0.5;
            double pacedSeconds = 20;
            boolean rssAtOne = true;
            boolean smoke = false;
            Path workDir = Path.of("target", "bench");
            String env = System.getenv("SHARED_DIR");
            Path shared = Path.of(env != null && !env.isBlank() ? env : "../shared");
            String heap = "1g";
            List<String> jobFlags = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> { return null; }
                    case "--sets" -> sets = Arrays.asList(args[++i].split(","));
                    case "--limit" -> limit = Integer.parseInt(args[++i]);
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                    case "--reps" -> reps = Integer.parseInt(args[++i]);
                    case "--job-reps" -> jobReps = Integer.parseInt(args[++i]);
                    case "--job-seconds" -> jobSeconds = Double.parseDouble(args[++i]);
                    case "--job-warmup-seconds" -> jobWarmupSeconds = Double.parseDouble(args[++i]);
                    case "--paced-load" -> pacedLoad = Double.parseDouble(args[++i]);
                    case "--paced-seconds" -> pacedSeconds = Double.parseDouble(args[++i]);
                    case "--batch-sizes" -> batchSizes = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
                    case "--no-rss-at-1" -> rssAtOne = false;
                    case "--smoke" -> smoke = true;
                    case "--work-dir" -> workDir = Path.of(args[++i]);
                    case "--shared-dir" -> shared = Path.of(args[++i]);
                    case "--job-heap" -> heap = args[++i];
                    case "--" -> {
                        jobFlags.addAll(Arrays.asList(args).subList(i + 1, args.length));
                        i = args.length;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a + " (--help lists them)");
                }
            }
            if (smoke) {
                limit = limit > 0 ? limit : 3;
                seconds = Math.min(seconds, 0.5);
                reps = 1;
                jobReps = 1;
                jobSeconds = 0;
                jobWarmupSeconds = 0; // still one warm-up run over the few images: the code path is checked
                batchSizes = batchSizes.isEmpty() ? List.of(2) : batchSizes;
                pacedSeconds = Math.min(pacedSeconds, 1);
            }
            if (threads < 1 || reps < 1 || jobReps < 1) {
                throw new IllegalArgumentException("--threads, --reps and --job-reps must be >= 1");
            }
            return new BenchOptions(sets, limit, threads, seconds, reps, jobReps, jobSeconds, jobWarmupSeconds,
                    pacedLoad, pacedSeconds, batchSizes, rssAtOne, smoke,
                    workDir.toAbsolutePath().normalize(), shared.toAbsolutePath().normalize(), heap, List.copyOf(jobFlags));
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
