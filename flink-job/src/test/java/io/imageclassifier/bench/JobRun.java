package io.imageclassifier.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.JsonRows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The benchmark's {@code job} phase, run in a JVM of its own so that its peak RSS is the job's:
 * the real job graph ({@link ClassifierPipeline}: local source with {@code --once}, dedupe, file
 * read, classify, JSON sink) on an in-process MiniCluster with one TaskManager of {@code P} slots.
 *
 * <p>Usage: {@code JobRun SHARED_DIR PARALLELISM INPUT OUTPUT WARMUP_INPUT|- JOB_FLAGS...}. With a
 * warm-up input the same graph first runs over it, to completion, in this JVM (output under
 * {@code OUTPUT-warmup}): a streaming job is measured once its JVM is warm, as its TaskManagers are
 * after the first minute of a job that runs for days; the bare loop it is compared with is warmed
 * up too. The warm-up run's figures are printed as {@code WARMUP rows=.. firstRowMillis=..
 * lastRowMillis=..} (the "cold" rate). Then it prints one line
 * {@code JOB rows=.. deadLetters=.. firstRowMillis=.. secondHalfFromMillis=.. lastRowMillis=..
 * wallMillis=.. p50Millis=.. p99Millis=.. latencySamples=.. vmHwmKb=..}: the rows' first, middle
 * and last {@code event_time}, the
 * per-image latency quantiles from the classify operator's source-to-prediction histogram, and
 * {@code VmHWM} (peak resident set) from {@code /proc/self/status}.
 */
public final class JobRun {

    private JobRun() {}

    public static void main(String[] args) throws Exception {
        String sharedDir = args[0];
        int parallelism = Integer.parseInt(args[1]);
        Path input = Path.of(args[2]);
        Path out = Path.of(args[3]);
        String warmup = args[4];
        List<String> flags = List.of(Arrays.copyOfRange(args, 5, args.length));

        if (!"-".equals(warmup)) {
            Path warmOut = Path.of(out + "-warmup");
            run(sharedDir, parallelism, Path.of(warmup), warmOut, flags);
            long[] times = eventTimes(JsonRows.read(warmOut.resolve("predictions")));
            System.out.printf(Locale.ROOT, "WARMUP rows=%d firstRowMillis=%d lastRowMillis=%d%n", times.length,
                    times.length == 0 ? -1 : times[0], times.length == 0 ? -1 : times[times.length - 1]);
        }
        int histogramsBefore = LatencyReporter.histograms().size();

        ThreadCpu cpu = ThreadCpu.start();
        long start = System.currentTimeMillis();
        run(sharedDir, parallelism, input, out, flags);
        long wall = System.currentTimeMillis() - start;

        List<JsonNode> rows = JsonRows.read(out.resolve("predictions"));
        int deadLetters = JsonRows.read(out.resolve("dead-letter")).size();
        long[] times = eventTimes(rows);
        long first = times.length == 0 ? -1 : times[0];
        long last = times.length == 0 ? -1 : times[times.length - 1];
        long secondHalfFrom = times.length == 0 ? -1 : times[times.length / 2];
        List<Long> samples = new ArrayList<>();
        List<Histogram> histograms = LatencyReporter.histograms();
        for (Histogram h : histograms.subList(histogramsBefore, histograms.size())) {
            for (long v : h.getStatistics().getValues()) {
                samples.add(v);
            }
        }
        long[] lat = samples.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.print("CPU seconds by thread (measured run, startup included):\n" + cpu.summary());
        System.out.printf(Locale.ROOT,
                "JOB rows=%d deadLetters=%d firstRowMillis=%d secondHalfFromMillis=%d lastRowMillis=%d wallMillis=%d p50Millis=%d "
                        + "p99Millis=%d latencySamples=%d vmHwmKb=%d%n",
                rows.size(), deadLetters, first, secondHalfFrom, last, wall, quantile(lat, 0.50), quantile(lat, 0.99), lat.length,
                vmHwmKb());
        System.exit(0); // ONNX Runtime and Flink leave non-daemon threads behind
    }

    /** One execution of the job graph on a fresh MiniCluster, to completion ({@code --once}). */
    private static void run(String sharedDir, int parallelism, Path input, Path out, List<String> flags)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("--input-dir", input.toString(), "--output-dir", out.toString()));
        args.addAll(flags);
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new), Map.of("SHARED_DIR", sharedDir)).config();
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
        conf.setString("metrics.reporter.bench.factory.class", LatencyReporter.Factory.class.getName());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        env.execute("bench");
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
