package io.imageclassifier.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints the benchmark's progress, its summary table and the final {@code RESULT} lines. */
final class Report {

    private final List<String> results = new ArrayList<>();
    private final List<String> table = new ArrayList<>();

    void header(ThroughputBenchmark.BenchOptions o) {
        System.out.printf("machine: %s, %d cores visible to the JVM, %s%n", cpuModel(),
                Runtime.getRuntime().availableProcessors(), memTotal());
        System.out.printf("jvm: %s %s; os: %s %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.version"), System.getProperty("os.name"), System.getProperty("os.version"));
        System.out.printf("load average at start: %s%n", loadAverage());
        System.out.printf("bare/job JPEG decoder: %s%n", io.imageclassifier.classify.ImageDecoder.usesTurboJpeg()
                ? "TurboJPEG (DCT-domain scaling)" : "ImageIO (TurboJPEG not installed or TURBOJPEG_JAR empty)");
        System.out.printf("threads/parallelism %d, loop window %.1f s x %d runs (median), job runs %d, job ~%.0f s of"
                + " bare work after a warm-up run of ~%.0f s in the same JVM%s%n", o.threads(), o.seconds(), o.reps(),
                o.jobReps(), o.jobSeconds(), o.jobWarmupSeconds(),
                o.smoke() ? " [SMOKE: numbers mean nothing]" : "");
    }

    void set(ImageSet set) {
        System.out.printf("%n== set %s: %d images, %.1f MB (mean %d KB/image)%n", set.name(), set.files().size(),
                set.totalBytes() / 1e6, set.totalBytes() / Math.max(1, set.files().size()) / 1024);
    }

    void accuracy(ImageSet set, int[] baseline, int[] bare) {
        int agree = 0;
        for (int i = 0; i < bare.length; i++) {
            agree += baseline[i] == bare[i] ? 1 : 0;
        }
        double agreement = (double) agree / bare.length;
        System.out.printf("  top-1 agreement bare vs baseline: %d/%d%n", agree, bare.length);
        result("agree/bare-baseline", set.name(), agreement);
        if (set.labelled()) {
            double b = top1(set.labels(), baseline);
            double o = top1(set.labels(), bare);
            System.out.printf("  top-1: baseline %.3f, bare %.3f%n", b, o);
            result("top1/baseline", set.name(), b);
            result("top1/bare", set.name(), o);
        }
    }

    void progress(String set, String figure, List<Double> runs) {
        System.out.printf("  %-8s %s: run %d: %.1f images/s%n", figure, set, runs.size(), runs.get(runs.size() - 1));
    }

    void batching(String set, int n, double plain, double batched) {
        System.out.printf("  batch %d  %s: bare %.1f images/s, with %d images per model run %.1f images/s%n", n, set, plain,
                n, batched);
        result("bare_batch" + n + "/bare", set, batched / plain);
    }

    void job(String set, int parallelism, JobPhase.Result j) {
        System.out.printf("  job      %s p=%d: %d rows, %.1f images/s steady (2nd half of rows %.1f; warm-up run"
                        + " %d rows at %.1f), rows %.1f s, wall %.1f s, latency p50 %d ms p99 %d ms, peak RSS %d MB,"
                        + " first row %d ms after submission (fresh JVM: %d ms)%n",
                set, parallelism, j.rows(), j.imagesPerSecond(), j.secondHalfImagesPerSecond(), j.warmupRows(),
                j.coldImagesPerSecond(),
                (j.lastRowMillis() - j.firstRowMillis()) / 1000.0, j.wallMillis() / 1000.0, j.p50Millis(),
                j.p99Millis(), j.vmHwmKb() / 1024, j.timeToFirstRowMillis(), j.firstJobTimeToFirstRowMillis());
    }

    void summary(ImageSet set, int threads, List<Double> baseRuns, List<Double> bareRuns, List<JobPhase.Result> jobRuns,
            JobPhase.Result p1, int jobImages) {
        double base = median(baseRuns);
        double bare = median(bareRuns);
        List<Double> jobIps = jobRuns.stream().map(JobPhase.Result::imagesPerSecond).toList();
        double job = median(jobIps);
        List<Double> bareOverBase = new ArrayList<>();
        for (int i = 0; i < baseRuns.size(); i++) {
            bareOverBase.add(bareRuns.get(i) / baseRuns.get(i));
        }
        List<Double> jobOverBare = new ArrayList<>();
        List<Double> warmOverBare = new ArrayList<>();
        List<Double> coldOverBare = new ArrayList<>();
        for (int i = 0; i < jobRuns.size(); i++) {
            // Job run i ran between bare runs i and i + 1: compare it with their mean.
            double ref = i + 1 < bareRuns.size() ? (bareRuns.get(i) + bareRuns.get(i + 1)) / 2 : bareRuns.get(i);
            jobOverBare.add(jobIps.get(i) / ref);
            warmOverBare.add(jobRuns.get(i).secondHalfImagesPerSecond() / ref);
            coldOverBare.add(jobRuns.get(i).coldImagesPerSecond() / ref);
        }
        double ratioBare = median(bareOverBase);
        double ratioJob = median(jobOverBare);
        JobPhase.Result mid = jobRuns.stream()
                .min((a, b) -> Double.compare(Math.abs(a.imagesPerSecond() - job), Math.abs(b.imagesPerSecond() - job)))
                .orElseThrow();
        // Peak RSS at parallelism T from runs made as the parallelism-1 run is (warm-up, measured run),
        // not the one followed by the paced run (a third job in the JVM), unless there is no other.
        List<JobPhase.Result> rssRuns = jobRuns.stream().filter(j -> j.paced() == null).toList();
        long rssT = (rssRuns.isEmpty() ? jobRuns : rssRuns).stream().mapToLong(JobPhase.Result::vmHwmKb).max()
                .orElse(-1) / 1024;
        String s = set.name();
        System.out.printf("  -- %s images/s: baseline %.1f (%s), bare %.1f (%s), job %.1f (%s)%n", s, base,
                spread(baseRuns), bare, spread(bareRuns), job, spread(jobIps));
        System.out.printf("  -- %s ratios (medians of back-to-back pairs): bare/baseline %.2f (%s), job/bare %.2f (%s)%n",
                s, ratioBare, spread(bareOverBase), ratioJob, spread(jobOverBare));
        result("baseline", s, base);
        result("bare", s, bare);
        result("job", s, job);
        result("bare/baseline", s, ratioBare);
        result("job/bare", s, ratioJob);
        // Diagnostics, not the figures: the job over the second half of its rows, and the
        // warm-up run (a fresh JVM: JIT compilation inside the measured window).
        result("job_2nd_half/bare", s, median(warmOverBare));
        if (jobRuns.get(0).warmupRows() > 0) {
            result("job_cold/bare", s, median(coldOverBare));
        }
        // Time to first prediction (submission -> first row), medians over the job runs: what a
        // rescale or failover costs every TaskManager before it classifies again.
        List<Double> firstJob = jobRuns.stream().map(j -> (double) j.firstJobTimeToFirstRowMillis()).filter(t -> t >= 0)
                .toList();
        if (!firstJob.isEmpty()) {
            result("time_to_first_prediction_ms/job_fresh_jvm", s, median(firstJob));
        }
        result("time_to_first_prediction_ms/job_restart", s,
                median(jobRuns.stream().map(j -> (double) j.timeToFirstRowMillis()).toList()));
        result("latency_p50_ms/job", s, mid.p50Millis());
        result("latency_p99_ms/job", s, mid.p99Millis());
        JobPhase.Paced paced = jobRuns.get(0).paced();
        if (paced != null) {
            System.out.printf("  -- %s latency under a paced load: %d files at %.1f/s over %.1f s: p50 %d ms, p99 %d ms,"
                    + " max %d ms (%d predicted)%n", s, paced.files(), paced.pace(), paced.seconds(), paced.p50Millis(),
                    paced.p99Millis(), paced.maxMillis(), paced.predicted());
            result("paced_images_per_s/job", s, paced.pace());
            result("latency_paced_p50_ms/job", s, paced.p50Millis());
            result("latency_paced_p99_ms/job", s, paced.p99Millis());
        }
        result("peak_rss_mb/job_p" + threads, s, rssT);
        if (p1 != null) {
            result("peak_rss_mb/job_p1", s, p1.vmHwmKb() / 1024);
        }
        table.add(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2f | %d / %d | %s / %d |",
                s, jobImages, base, bare, job, ratioBare, ratioJob, mid.p50Millis(), mid.p99Millis(),
                p1 == null ? "-" : Long.toString(p1.vmHwmKb() / 1024), rssT));
    }

    /**
     * The bare loop against the libraries it calls: {@code limit} is the rate of decode-only and
     * model-only run one after the other on each thread, 1 / (1 / decode + 1 / model), i.e. bare
     * with preprocessing and all our own code free. bare/limit is the median of the runs made back
     * to back (bare run i with decode and model runs i).
     */
    void limits(String s, List<Double> bareRuns, List<Double> decodeRuns, List<Double> modelRuns) {
        List<Double> limits = new ArrayList<>();
        List<Double> bareOverLimit = new ArrayList<>();
        for (int i = 0; i < decodeRuns.size(); i++) {
            double limit = 1 / (1 / decodeRuns.get(i) + 1 / modelRuns.get(i));
            limits.add(limit);
            bareOverLimit.add(bareRuns.get(i) / limit);
        }
        System.out.printf("  -- %s limit: decode-only %.1f (%s), model-only %.1f (%s), both in turn %.1f images/s;"
                + " bare/limit %.2f (%s)%n", s, median(decodeRuns), spread(decodeRuns), median(modelRuns),
                spread(modelRuns), median(limits), median(bareOverLimit), spread(bareOverLimit));
        result("decode_only", s, median(decodeRuns));
        result("model_only", s, median(modelRuns));
        result("limit", s, median(limits));
        result("bare/limit", s, median(bareOverLimit));
    }

    void footer() {
        System.out.printf("%nload average at end: %s%n%n", loadAverage());
        System.out.println("(ratios: medians of paired runs made back to back, each job run against the mean of the bare runs just before and after it; images/s: medians of all runs)");
        System.out.println("| set | job images | baseline img/s | bare img/s | job img/s | bare/baseline | job/bare |"
                + " job latency p50 / p99 ms | job peak RSS MB p1 / pT |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        table.forEach(System.out::println);
        System.out.println();
        results.forEach(System.out::println);
    }

    private void result(String figure, String set, double value) {
        String v = value == Math.rint(value) && Math.abs(value) > 10
                ? Long.toString((long) value) : String.format(Locale.ROOT, "%.3f", value);
        results.add("RESULT " + figure + " " + set + " " + v);
    }

    static double median(List<Double> values) {
        List<Double> s = values.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The runs' range as a share of their median, e.g. "±4%" (half the range), or "1 run". */
    static String spread(List<Double> runs) {
        if (runs.size() < 2) {
            return "1 run";
        }
        double min = runs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = runs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        return String.format(Locale.ROOT, "%d runs, ±%.0f%%", runs.size(), 50 * (max - min) / median(runs));
    }

    private static double top1(int[] labels, int[] predicted) {
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            ok += labels[i] == predicted[i] ? 1 : 0;
        }
        return (double) ok / labels.length;
    }

    private static String cpuModel() {
        return firstValue(Path.of("/proc/cpuinfo"), "model name", "unknown CPU");
    }

    private static String memTotal() {
        String kb = firstValue(Path.of("/proc/meminfo"), "MemTotal", null);
        return kb == null ? "memory unknown" : String.format(Locale.ROOT, "%.0f GB RAM",
                Long.parseLong(kb.replaceAll("[^0-9]", "")) / 1e6);
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String firstValue(Path file, String key, String fallback) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return fallback;
    }
}
