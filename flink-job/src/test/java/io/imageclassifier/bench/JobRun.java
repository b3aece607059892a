package io.imageclassifier.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.classify.ClassifyFunction;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.JsonRows;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The benchmark's {@code job} phase, run in a JVM of its own so that its peak RSS is the job's:
 * the real job graph ({@link ClassifierPipeline}: local source with {@code --once}, dedupe, file
 * read, classify, JSON sink) on an in-process MiniCluster with one TaskManager of {@code P} slots.
 *
 * <p>Usage: {@code JobRun SHARED_DIR PARALLELISM INPUT OUTPUT WARMUP_INPUT|- PACE PACED_SECONDS JOB_FLAGS...}.
 * With {@code PACE > 0}, after the measured run a watching (not {@code --once}) job is fed the
 * warm-up input's files at {@code PACE} files/s for {@code PACED_SECONDS}: see {@link #paced}. With a
 * warm-up input the same graph first runs over it, to completion, in this JVM (output under
 * {@code OUTPUT-warmup}): a streaming job is measured once its JVM is warm, as its TaskManagers are
 * after the first minute of a job that runs for days; the bare loop it is compared with is warmed
 * up too. The warm-up run's figures are printed as {@code WARMUP rows=.. firstRowMillis=..
 * lastRowMillis=.. startMillis=..} (the "cold" rate; {@code startMillis}: when the job was submitted). Then it prints one line
 * {@code JOB rows=.. deadLetters=.. firstRowMillis=.. secondHalfFromMillis=.. lastRowMillis=..
 * wallMillis=.. p50Millis=.. p99Millis=.. latencySamples=.. vmHwmKb=.. startMillis=..}: the rows' first, middle
 * and last {@code event_time}, the
 * per-image latency quantiles from the classify operator's source-to-prediction histogram, and
 * {@code VmHWM} (peak resident set) from {@code /proc/self/status}.
 */
public final class JobRun {

    private JobRun() {}

    public static void main(String[] args) {
        ChildJvm.runAndExit(() -> measure(args));
    }

    /** Runs the measured job (and its warm-up and paced runs); returns the exit code. */
    private static int measure(String[] args) throws Exception {
        String sharedDir = args[0];
        int parallelism = Integer.parseInt(args[1]);
        Path input = Path.of(args[2]);
        Path out = Path.of(args[3]);
        String warmup = args[4];
        double pace = Double.parseDouble(args[5]);
        double pacedSeconds = Double.parseDouble(args[6]);
        List<String> flags = List.of(Arrays.copyOfRange(args, 7, args.length));

        if (!"-".equals(warmup)) {
            Path warmOut = Path.of(out + "-warmup");
            long warmStart = System.currentTimeMillis();
            run(sharedDir, parallelism, Path.of(warmup), warmOut, flags);
            long[] times = eventTimes(JsonRows.read(warmOut.resolve("predictions")));
            System.out.printf(Locale.ROOT, "WARMUP rows=%d firstRowMillis=%d lastRowMillis=%d startMillis=%d%n",
                    times.length, times.length == 0 ? -1 : times[0], times.length == 0 ? -1 : times[times.length - 1],
                    warmStart);
            awaitCompilerIdle(10_000);
        }
        int histogramsBefore = LatencyReporter.histogramMark();
        int countersBefore = LatencyReporter.mark();

        ThreadCpu cpu = ThreadCpu.start();
        long start = System.currentTimeMillis();
        // Marks the measured run in the log, with the JVM uptime that -XX:+PrintCompilation stamps its lines with.
        System.out.println("WINDOW start measured run uptimeMillis=" + JobPhase.uptimeMillis());
        run(sharedDir, parallelism, input, out, flags);
        System.out.println("WINDOW end measured run uptimeMillis=" + JobPhase.uptimeMillis());
        long wall = System.currentTimeMillis() - start;
        String cpuSummary = cpu.summary();

        List<JsonNode> rows = JsonRows.read(out.resolve("predictions"));
        int deadLetters = JsonRows.read(out.resolve("dead-letter")).size();
        long[] times = eventTimes(rows);
        long first = times.length == 0 ? -1 : times[0];
        long last = times.length == 0 ? -1 : times[times.length - 1];
        long secondHalfFrom = times.length == 0 ? -1 : times[times.length / 2];
        List<Long> samples = new ArrayList<>();
        for (Histogram h : LatencyReporter.histogramsSince(histogramsBefore)) {
            for (long v : h.getStatistics().getValues()) {
                samples.add(v);
            }
        }
        long[] lat = samples.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.print("CPU seconds by thread (measured run, startup included):\n" + cpuSummary);
        long classified = Math.max(1, LatencyReporter.stageTotal("imagesClassified", countersBefore));
        System.out.printf(Locale.ROOT, "STAGES decodeMs=%.3f preprocessMs=%.3f inferenceMs=%.3f (per image, in the"
                        + " classify operator)%n",
                LatencyReporter.stageTotal(ClassifyFunction.METRIC_DECODE_NANOS, countersBefore) / 1e6 / classified,
                LatencyReporter.stageTotal(ClassifyFunction.METRIC_PREPROCESS_NANOS, countersBefore) / 1e6 / classified,
                LatencyReporter.stageTotal(ClassifyFunction.METRIC_INFERENCE_NANOS, countersBefore) / 1e6 / classified);
        if (pace > 0 && !"-".equals(warmup)) {
            paced(sharedDir, parallelism, Path.of(warmup), Path.of(out + "-paced"), flags, pace, pacedSeconds);
        }
        System.out.printf(Locale.ROOT,
                "JOB rows=%d deadLetters=%d firstRowMillis=%d secondHalfFromMillis=%d lastRowMillis=%d wallMillis=%d p50Millis=%d "
                        + "p99Millis=%d latencySamples=%d vmHwmKb=%d startMillis=%d%n",
                rows.size(), deadLetters, first, secondHalfFrom, last, wall, quantile(lat, 0.50), quantile(lat, 0.99), lat.length,
                vmHwmKb(), start);
        return 0;
    }

    /** One execution of the job graph on a fresh MiniCluster, to completion ({@code --once}). */
    private static void run(String sharedDir, int parallelism, Path input, Path out, List<String> flags)
            throws Exception {
        List<String> withOnce = new ArrayList<>(flags);
        withOnce.add("--once");
        environment(sharedDir, parallelism, input, out, withOnce).execute("bench");
    }

    /**
     * Latency under a load the job keeps up with, which {@code --once} over a full directory cannot
     * show (there every image waits behind the backlog listed with it). A job watching an empty
     * directory (listing it every 100 ms) is fed hard links to {@code from}'s files, evenly spaced
     * at {@code pace} files/s, for {@code seconds}; once every file has a prediction (the classify
     * histograms' count) the job is cancelled. Prints {@code PACED files=.. seconds=.. p50Millis=..
     * p99Millis=.. maxMillis=..}: per image, from the listing that found it to its prediction.
     */
    private static void paced(String sharedDir, int parallelism, Path from, Path out, List<String> flags, double pace,
            double seconds) throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(from)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        int n = (int) Math.min(files.size(), Math.max(1, Math.round(pace * seconds)));
        Path watched = Files.createDirectories(Path.of(out + "-input"));
        List<String> watching = new ArrayList<>(flags);
        watching.addAll(List.of("--monitor-interval", "100ms"));
        int histogramsBefore = LatencyReporter.histogramMark();
        JobClient job =
                environment(sharedDir, parallelism, watched, out, watching).executeAsync("bench-paced");
        try {
            while (LatencyReporter.histogramsSince(histogramsBefore).size() < parallelism) {
                Thread.sleep(50); // every classify subtask is running
            }
            Thread.sleep(1000);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long due = t0 + (long) (i * 1e9 / pace);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                Path target = watched.resolve(String.format(Locale.ROOT, "p%06d-%s", i, files.get(i).getFileName()));
                Files.createLink(target, files.get(i));
            }
            double fedSeconds = (System.nanoTime() - t0) / 1e9;
            long deadline = System.currentTimeMillis() + 120_000;
            List<Histogram> mine = LatencyReporter.histogramsSince(histogramsBefore);
            while (mine.stream().mapToLong(Histogram::getCount).sum() < n && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
                mine = LatencyReporter.histogramsSince(histogramsBefore);
            }
            long[] lat = mine.stream().flatMapToLong(h -> Arrays.stream(h.getStatistics().getValues()))
                    .sorted().toArray();
            System.out.printf(Locale.ROOT, "PACED files=%d predicted=%d pace=%.1f seconds=%.1f p50Millis=%d p99Millis=%d"
                    + " maxMillis=%d%n", n, lat.length, pace, fedSeconds, quantile(lat, 0.5), quantile(lat, 0.99),
                    lat.length == 0 ? -1 : lat[lat.length - 1]);
        } finally {
            job.cancel().get();
        }
    }

    private static StreamExecutionEnvironment environment(String sharedDir, int parallelism, Path input, Path out,
            List<String> flags) {
        List<String> args = new ArrayList<>(List.of("--input-dir", input.toString(), "--output-dir", out.toString()));
        args.addAll(flags);
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new), Map.of("SHARED_DIR", sharedDir)).config();
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
        conf.setString("metrics.reporter.bench.factory.class", LatencyReporter.Factory.class.getName());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env;
    }

    /**
     * Waits (at most {@code maxMillis}) until the JIT compiler has finished nothing for half a
     * second: what the warm-up run queued, and the harness's own reading of its rows (JSON
     * parsing, thousands of rows), is then compiled before the measured run rather than inside it,
     * where it cost the job's cores 1-2 s of C2 time in the first seconds (seen with
     * -XX:+PrintCompilation, BENCH_JOB_JAVA_OPTS).
     */
    private static void awaitCompilerIdle(long maxMillis) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long end = System.currentTimeMillis() + maxMillis;
        long last = jit.getTotalCompilationTime();
        int quiet = 0;
        while (quiet < 5 && System.currentTimeMillis() < end) {
            Thread.sleep(100);
            long now = jit.getTotalCompilationTime();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    private static long[] eventTimes(List<JsonNode> rows) {
        return rows.stream().mapToLong(r -> r.get("event_time").asLong()).sorted().toArray();
    }

    /** Nearest-rank quantile of sorted values; -1 when there are none. */
    static long quantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** Peak resident set size of this process in KiB ({@code VmHWM}), -1 where /proc is not available. */
    static long vmHwmKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}
