package io.imageclassifier.bench;

import io.imageclassifier.testing.emulator.CloudEmulators;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The cloud benchmark behind {@code scripts/bench-cloud.sh}: the same images through local mode and
 * through the cloud path (fake-gcs-server uploads -> its real notifications -> Pub/Sub emulator ->
 * the job, which fetches every object from fake-gcs-server), at each checkpoint interval. Each run
 * is a {@link CloudJobRun} in a child JVM (warm-up run, then the measured one); the emulators run
 * once for the whole benchmark, on this machine's cores like the job, so their CPU is measured
 * separately. Ends with {@code RESULT <figure> <set> <interval> <value>} lines. {@code --help}
 * lists the options.
 */
public final class CloudBenchmark {

    static final String HELP = """
            Usage: CloudBenchmark [options] [-- job flags]
              --images N          images per measured run: the dev set repeated (default: 2400)
              --warmup-images N   images of the warm-up job run before each measured job in the same JVM
                                  (default: half as many as measured)
              --steady-after N    images each measured job classifies before its window opens, so
                                  the window sees a job that has been running (what production
                                  runs), with what its first minute compiles already compiled
                                  (default: half as many as measured)
              --intervals LIST    checkpoint intervals (default: 5s,30s,60s)
              --repeats N         local/cloud pairs per interval, run back to back (the order
                                  alternating); the RESULT lines are the medians of the pairs'
                                  figures, so one noisy run does not decide (default: 3)
              --parallelism P     job parallelism (default: available cores)
              --smoke             60 images, no warm-up, one 2s interval: checks the harness and
                                  that no row is lost (exits non-zero if one is); numbers mean nothing
              --work-dir DIR      outputs and logs (default: target/bench-cloud)
              --shared-dir DIR    shared data (default: $SHARED_DIR, else ../shared)
              --job-heap SIZE     the job JVM's heap (default: 1g)
              --gcs-backend B     fake-gcs-server's storage: filesystem (default; under the work dir)
                                  or memory (what the tests use; its CPU per download grows with
                                  the objects it holds, which Cloud Storage's does not)
              -- FLAGS            passed on to the job in both modes
            """;

    record Run(String mode, int rows, long distinct, int expected,
            long windowImages, long windowMillis, long jobCpuMs, long pubsubCpuMs, long gcsCpuMs) {

        /** Over the measured window (classified images), which may start after the job's first images. */
        double imagesPerSecond() {
            return windowImages <= 0 || windowMillis <= 0 ? 0 : windowImages * 1000.0 / windowMillis;
        }

        /**
         * The rate with the emulators' CPU given back to the job: what the same job would do with
         * the machine to itself, as it has next to Cloud Storage and Pub/Sub (scaled by the cores
         * the emulators kept busy during the window).
         */
        double imagesPerSecondWithoutEmulators(int cores) {
            double emulatorCores = windowMillis <= 0 ? 0
                    : (Math.max(0, pubsubCpuMs) + Math.max(0, gcsCpuMs)) / (double) windowMillis;
            return imagesPerSecond() * cores / Math.max(0.1, cores - emulatorCores);
        }

        double cpuPerImage(long cpuMs) {
            return cpuMs < 0 || windowImages <= 0 ? -1 : cpuMs / 1000.0 / windowImages;
        }
    }

    private CloudBenchmark() {}

    public static void main(String[] args) throws Exception {
        int images = 2400;
        int warmup = -1; // -1: half as many as measured
        int steadyAfter = -1; // -1: half as many as measured
        List<String> intervals = List.of("5s", "30s", "60s");
        int repeats = 3;
        int parallelism = Runtime.getRuntime().availableProcessors();
        Path workDir = Path.of("target", "bench-cloud");
        String env = System.getenv("SHARED_DIR");
        Path shared = Path.of(env != null && !env.isBlank() ? env : "../shared");
        String heap = "1g";
        boolean smoke = false;
        String gcsBackend = "filesystem";
        List<String> jobFlags = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    System.out.print(HELP);
                    return;
                }
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--warmup-images" -> warmup = Integer.parseInt(args[++i]);
                case "--steady-after" -> steadyAfter = Integer.parseInt(args[++i]);
                case "--intervals" -> intervals = Arrays.asList(args[++i].split(","));
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--parallelism" -> parallelism = Integer.parseInt(args[++i]);
                case "--smoke" -> smoke = true;
                case "--work-dir" -> workDir = Path.of(args[++i]);
                case "--shared-dir" -> shared = Path.of(args[++i]);
                case "--job-heap" -> heap = args[++i];
                case "--gcs-backend" -> gcsBackend = args[++i];
                case "--" -> {
                    jobFlags.addAll(Arrays.asList(args).subList(i + 1, args.length));
                    i = args.length;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
        }
        if (!gcsBackend.equals("filesystem") && !gcsBackend.equals("memory")) {
            throw new IllegalArgumentException("--gcs-backend must be filesystem or memory, not " + gcsBackend);
        }
        if (smoke) {
            images = 60;
            warmup = 0;
            steadyAfter = 0;
            intervals = List.of("2s");
            repeats = 1;
        }
        if (repeats < 1) {
            throw new IllegalArgumentException("--repeats must be at least 1, not " + repeats);
        }
        if (warmup < 0) {
            warmup = images / 2;
        }
        if (steadyAfter < 0) {
            steadyAfter = images / 2;
        }
        workDir = workDir.toAbsolutePath().normalize();
        Path set = shared.toAbsolutePath().normalize().resolve("images/imagenet-dev");
        Files.createDirectories(workDir);
        System.out.printf(Locale.ROOT, "==> Cloud benchmark: %d dev images measured per run (after a %d-image warm-up "
                + "job, and %d images into the measured job), parallelism %d, intervals %s, %d local/cloud pair(s) each; "
                + "%d cores; fake-gcs-server's %s backend%n", images, warmup, steadyAfter, parallelism, intervals, repeats,
                Runtime.getRuntime().availableProcessors(), gcsBackend);
        Path gcsRoot = null;
        if (gcsBackend.equals("filesystem")) {
            gcsRoot = workDir.resolve("fake-gcs-storage");
            JobPhase.deleteTree(gcsRoot);
        }

        List<String> results = new ArrayList<>();
        boolean lost = false;
        try (CloudEmulators.Running emulators = CloudEmulators.startStandalone(gcsRoot)) {
            System.out.printf("    Pub/Sub emulator %s (pid %d), fake-gcs-server %s (pid %d)%n",
                    emulators.pubsubEndpoint(), emulators.pubsubPid(), emulators.gcsEndpoint(), emulators.gcsPid());
            for (String interval : intervals) {
                List<Map<String, Run>> pairs = new ArrayList<>();
                for (int r = 1; r <= repeats; r++) {
                    // Alternate which mode goes first, so a drift of the machine over the pair's
                    // minutes (thermal, a neighbour) does not favour one mode.
                    List<String> order = r % 2 == 1 ? List.of("local", "cloud") : List.of("cloud", "local");
                    Map<String, Run> runs = new HashMap<>();
                    for (String mode : order) {
                        String id = interval + "-" + mode + (repeats > 1 ? "-" + r : "");
                        Run run = child(workDir, heap, id, childArgs(mode, id, shared, set, images, warmup,
                                steadyAfter, parallelism, interval, workDir, emulators, jobFlags));
                        runs.put(mode, run);
                        System.out.printf(Locale.ROOT, "    %-4s %-5s %7.1f img/s  rows %d/%d  CPU s/image: job %.4f, "
                                        + "pubsub emulator %.4f, fake-gcs-server %.4f%n", interval, mode,
                                run.imagesPerSecond(), run.rows(), run.expected(), run.cpuPerImage(run.jobCpuMs()),
                                run.cpuPerImage(run.pubsubCpuMs()), run.cpuPerImage(run.gcsCpuMs()));
                        if (run.rows() != run.expected() || run.distinct() != run.expected()) {
                            lost = true;
                            System.out.printf("    ERROR: %s at %s wrote %d rows (%d distinct) for %d images%n", mode,
                                    interval, run.rows(), run.distinct(), run.expected());
                        }
                    }
                    pairs.add(runs);
                    System.out.printf(Locale.ROOT, "    %-4s pair %d: cloud_job/local_job %.3f (%.3f without the emulators' "
                            + "CPU), cpu ratio %.3f%n", interval, r, throughputRatio(runs),
                            throughputRatioWithoutEmulators(runs), cpuRatio(runs));
                }
                for (String mode : List.of("local", "cloud")) {
                    String job = mode + "_job";
                    results.add(result(job, interval, median(pairs, p -> p.get(mode).imagesPerSecond())));
                    results.add(result("cpu_s_per_image/" + job, interval,
                            median(pairs, p -> p.get(mode).cpuPerImage(p.get(mode).jobCpuMs()))));
                    results.add(result("cpu_s_per_image/pubsub_emulator_during_" + mode, interval,
                            median(pairs, p -> p.get(mode).cpuPerImage(p.get(mode).pubsubCpuMs()))));
                    results.add(result("cpu_s_per_image/fake_gcs_during_" + mode, interval,
                            median(pairs, p -> p.get(mode).cpuPerImage(p.get(mode).gcsCpuMs()))));
                }
                results.add(result("cloud_job/local_job", interval, median(pairs, CloudBenchmark::throughputRatio)));
                results.add(result("cloud_job_without_emulator_cpu/local_job", interval,
                        median(pairs, CloudBenchmark::throughputRatioWithoutEmulators)));
                results.add(result("cpu_per_image/cloud_job/local_job", interval, median(pairs, CloudBenchmark::cpuRatio)));
            }
        }
        System.out.println("==> Results (per-thread CPU, task busy time: " + workDir.resolve("logs") + ")");
        results.forEach(System.out::println);
        if (lost) {
            System.out.println("ERROR: rows were lost or duplicated (see above)");
            System.exit(1);
        }
        System.exit(0);
    }

    private static List<String> childArgs(String mode, String id, Path shared, Path set, int images, int warmup,
            int steadyAfter, int parallelism, String interval, Path workDir, CloudEmulators.Running emulators,
            List<String> jobFlags) {
        List<String> childArgs = new ArrayList<>(List.of("mode=" + mode, "shared=" + shared.toAbsolutePath(),
                "set=" + set, "images=" + images, "warmup=" + warmup, "skip=" + (steadyAfter + 1),
                "parallelism=" + parallelism,
                "interval=" + interval, "out=" + workDir.resolve("runs").resolve(id), "run=" + id,
                "pubsub=" + emulators.pubsubEndpoint(), "gcs=" + emulators.gcsEndpoint(),
                "pubsubPid=" + emulators.pubsubPid(), "gcsPid=" + emulators.gcsPid()));
        if (!jobFlags.isEmpty()) {
            childArgs.add("--");
            childArgs.addAll(jobFlags);
        }
        return childArgs;
    }

    static double throughputRatio(Map<String, Run> pair) {
        double local = pair.get("local").imagesPerSecond();
        return local == 0 ? 0 : pair.get("cloud").imagesPerSecond() / local;
    }

    /** As above, the cloud run's rate scaled up for the CPU its emulators took from the job's cores. */
    static double throughputRatioWithoutEmulators(Map<String, Run> pair) {
        double local = pair.get("local").imagesPerSecond();
        int cores = Runtime.getRuntime().availableProcessors();
        return local == 0 ? 0 : pair.get("cloud").imagesPerSecondWithoutEmulators(cores) / local;
    }

    static double cpuRatio(Map<String, Run> pair) {
        Run local = pair.get("local");
        Run cloud = pair.get("cloud");
        return cloud.cpuPerImage(cloud.jobCpuMs()) / local.cpuPerImage(local.jobCpuMs());
    }

    /** The median of a figure over the pairs. */
    static double median(List<Map<String, Run>> pairs, ToDoubleFunction<Map<String, Run>> figure) {
        return Report.median(pairs.stream().map(figure::applyAsDouble).toList());
    }

    private static String result(String figure, String interval, double value) {
        return String.format(Locale.ROOT, "RESULT %s dev %s %.4f", figure, interval, value);
    }

    private static Run child(Path workDir, String heap, String id, List<String> args) throws Exception {
        Path log = workDir.resolve("logs").resolve("run-" + id + ".log");
        Files.createDirectories(log.getParent());
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms" + heap);
        cmd.add("-Xmx" + heap);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Dlog4j") || a.startsWith("-Djava.util.logging")
                    || a.startsWith("-Dhttp.")) {
                cmd.add(a);
            }
        }
        cmd.addAll(JobPhase.extraJavaOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CloudJobRun.class.getName()));
        cmd.addAll(args);
        ChildJvm.Ended ended = ChildJvm.run(cmd, log);
        int rc = ended.rc();
        List<String> lines = ended.lines();
        String line = lines.stream().filter(l -> l.startsWith("CLOUDJOB ")).reduce((x, y) -> y).orElse(null);
        if (line == null || (rc != 0 && rc != 3)) {
            throw ChildJvm.failure("run " + id, rc, log, lines);
        }
        lines.stream().filter(l -> l.startsWith("TASKTIME ") || l.startsWith("STAGES "))
                .forEach(l -> System.out.println("           " + l));
        Map<String, String> f = new HashMap<>();
        for (String kv : line.substring("CLOUDJOB ".length()).trim().split(" ")) {
            String[] parts = kv.split("=", 2);
            f.put(parts[0], parts[1]);
        }
        return new Run(f.get("mode"), Integer.parseInt(f.get("rows")), Long.parseLong(f.get("distinct")),
                Integer.parseInt(f.get("expected")), Long.parseLong(f.get("windowImages")),
                Long.parseLong(f.get("windowMillis")), Long.parseLong(f.get("jobCpuMs")),
                Long.parseLong(f.get("pubsubCpuMs")), Long.parseLong(f.get("gcsCpuMs")));
    }
}
