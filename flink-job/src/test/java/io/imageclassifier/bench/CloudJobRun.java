package io.imageclassifier.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.NoCredentials;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.classify.ClassifyFunction;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.emulator.CloudEmulators;
import io.imageclassifier.testing.emulator.PubSubTestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One run of the cloud benchmark ({@link CloudBenchmark}) in a JVM of its own: the real job graph
 * on an in-process MiniCluster over {@code images} copies of the set's files, either in local mode
 * (a folder, {@code --once}) or in cloud mode (objects uploaded to fake-gcs-server, whose
 * notifications reach the job through a Pub/Sub emulator subscription created first; the job
 * fetches each object from fake-gcs-server). A warm-up run of the same mode over other files comes
 * first in the same JVM.
 *
 * <p>Measured window: the last {@code images} images classified ({@code imagesClassified} of the
 * classify operator) of a job over {@code skip + images}: the first {@code skip} run through the
 * same job before the window opens (by default one, so job startup is left out the same way in
 * both modes; more measure a job that has been running for a while, with the code its first
 * minutes compile already compiled). Over it: the CPU time
 * of this JVM and of each emulator process ({@code /proc/<pid>/stat}), per-thread CPU, and each
 * task's busy/idle/back-pressured time. Then it waits for every row to be committed (files become
 * visible on checkpoints) and checks one row per image. Prints {@code CLOUDJOB k=v ...},
 * {@code TASKTIME ...} and the per-thread table; exits 3 when rows are missing or duplicated.
 *
 * <p>Usage: {@code CloudJobRun mode=local|cloud shared=DIR set=DIR images=N warmup=M parallelism=P
 * interval=5s out=DIR run=ID [skip=K] [pubsub=HOST:PORT gcs=URL pubsubPid=PID gcsPid=PID] [-- JOB FLAGS]}.
 */
public final class CloudJobRun {

    private CloudJobRun() {}

    record Window(long images, long millis, long jobCpuMs, long pubsubCpuMs, long gcsCpuMs) {}

    public static void main(String[] args) {
        ChildJvm.runAndExit(() -> measure(args));
    }

    /** Runs the warm-up and the measured job; returns 0, or 3 when rows are missing or duplicated. */
    private static int measure(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        List<String> jobFlags = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                jobFlags.addAll(Arrays.asList(args).subList(i + 1, args.length));
                break;
            }
            String[] kv = args[i].split("=", 2);
            a.put(kv[0], kv[1]);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of(a.get("set")))) {
            files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpeg")
                    || p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpg")).sorted().toList();
        }
        Run run = new Run(a, files, jobFlags);
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "0"));
        if (warmup > 0) {
            run.once("warm", warmup, 1, false);
        }
        int images = Integer.parseInt(a.get("images"));
        int skip = Math.max(1, Integer.parseInt(a.getOrDefault("skip", "1")));
        boolean ok = run.once("run", images + skip - 1, skip, true);
        return ok ? 0 : 3;
    }

    private static final class Run {
        final Map<String, String> a;
        final List<Path> files;
        final List<String> jobFlags;
        final boolean cloud;
        final int parallelism;
        final Path out;
        final long[] emulatorPids;

        Run(Map<String, String> a, List<Path> files, List<String> jobFlags) {
            this.a = a;
            this.files = files;
            this.jobFlags = jobFlags;
            this.cloud = "cloud".equals(a.get("mode"));
            this.parallelism = Integer.parseInt(a.get("parallelism"));
            this.out = Path.of(a.get("out"));
            this.emulatorPids = new long[] {Long.parseLong(a.getOrDefault("pubsubPid", "-1")),
                Long.parseLong(a.getOrDefault("gcsPid", "-1"))};
        }

        /**
         * One job over {@code n} images, measured from the {@code skip}-th classified image on;
         * returns whether every image has exactly one row.
         */
        boolean once(String label, int n, int skip, boolean report) throws Exception {
            Path dir = out.resolve(label);
            JobPhase.deleteTree(dir);
            Files.createDirectories(dir);
            List<String> names = names(n);
            List<String> flags = new ArrayList<>(List.of("--output-dir", dir.resolve("out").toString(), "--no-console",
                    "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", a.get("interval")));
            String subscription = null;
            String bucket = null;
            if (cloud) {
                bucket = ("bench-" + a.get("run") + "-" + label).toLowerCase(Locale.ROOT);
                subscription = "projects/" + CloudEmulators.PROJECT + "/subscriptions/" + bucket;
                try (PubSubTestClient client = new PubSubTestClient(a.get("pubsub"))) {
                    // The ack deadline scripts/run-emulated.sh gives its subscription.
                    client.createSubscription(subscription, CloudEmulators.NOTIFICATION_TOPIC, 60);
                }
                upload(bucket, names);
                flags.addAll(List.of("--subscription", subscription, "--pubsub-endpoint", a.get("pubsub"),
                        "--gcs-endpoint", a.get("gcs")));
            } else {
                Path input = dir.resolve("input");
                for (int i = 0; i < n; i++) {
                    Path target = input.resolve(names.get(i));
                    Files.createDirectories(target.getParent());
                    Files.createLink(target, files.get(i % files.size()));
                }
                flags.addAll(List.of("--input-dir", input.toString(), "--once"));
            }
            flags.addAll(jobFlags);
            JobConfig config = JobConfigParser.parse(flags.toArray(String[]::new),
                    Map.of("SHARED_DIR", a.get("shared"))).config();

            Configuration conf = new Configuration();
            conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
            conf.setString("metrics.reporter.bench.factory.class", LatencyReporter.Factory.class.getName());
            conf.setString("metrics.reporter.tasktime.factory.class", TaskTimeReporter.Factory.class.getName());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
            ImageClassifierJob.configure(env, config);
            ClassifierPipeline.build(env, config);

            int counters = LatencyReporter.mark();
            int tasks = TaskTimeReporter.mark();
            JobClient job = env.executeAsync("bench-" + a.get("mode") + "-" + label);
            long deadline = System.currentTimeMillis() + 600_000;
            while (classified(counters) < skip) {
                if (ended(job, deadline, skip + " images")) {
                    throw new IllegalStateException("the job ended before classifying " + skip + " images");
                }
                Thread.sleep(5);
            }
            long n0 = classified(counters);
            long[] stages0 = stageNanos(counters);
            long t0 = System.nanoTime();
            if (report) {
                // Marks the window in the log, with the JVM uptime that -XX:+PrintCompilation stamps its lines with (BENCH_JOB_JAVA_OPTS).
                System.out.println("WINDOW start " + label + " uptimeMillis=" + JobPhase.uptimeMillis());
            }
            long[] cpu0 = cpuMs();
            ThreadCpu threads = ThreadCpu.start();
            TaskTimeReporter.Sampler taskTime = new TaskTimeReporter.Sampler(tasks);
            taskTime.start();
            // A lost image never gets classified: stop waiting once nothing has moved for a while.
            long stall = Math.max(60_000, 3 * parseMillis(a.get("interval")));
            long seen = n0;
            long progressAt = System.currentTimeMillis();
            while (classified(counters) < n && System.currentTimeMillis() - progressAt < stall
                    && !ended(job, deadline, n + " images")) {
                Thread.sleep(5);
                long now = classified(counters);
                if (now > seen) {
                    seen = now;
                    progressAt = System.currentTimeMillis();
                }
            }
            long n1 = classified(counters);
            long[] stages1 = stageNanos(counters);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            if (report) {
                System.out.println("WINDOW end " + label + " uptimeMillis=" + JobPhase.uptimeMillis());
            }
            long[] cpu1 = cpuMs();
            String taskTable = taskTime.stopAndDescribe();
            String threadTable = threads.summary();

            // Rows become visible when the checkpoint after them completes.
            Path predictions = dir.resolve("out").resolve("predictions");
            long rowsDeadline = System.currentTimeMillis() + 3 * parseMillis(a.get("interval")) + 120_000;
            List<JsonNode> rows = JsonRows.read(predictions);
            while (rows.size() < n && System.currentTimeMillis() < rowsDeadline
                    && !job.getJobExecutionResult().isDone()) {
                Thread.sleep(200);
                rows = JsonRows.read(predictions);
            }
            if (cloud) {
                Thread.sleep(Math.min(2_000, parseMillis(a.get("interval")))); // a duplicate would show up by now
                rows = JsonRows.read(predictions);
                job.cancel().get();
                try (PubSubTestClient client = new PubSubTestClient(a.get("pubsub"))) {
                    client.deleteSubscription(subscription);
                }
                deleteObjects(bucket, names);
            } else {
                // --once ends by itself; cancelling it as it ends races with the MiniCluster's shutdown.
                job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
                rows = JsonRows.read(predictions);
            }
            long distinct = rows.stream().map(r -> r.get("name").asText()).distinct().count();
            long[] times = rows.stream().mapToLong(r -> r.get("event_time").asLong()).sorted().toArray();
            boolean ok = rows.size() == n && distinct == n;
            System.out.printf(Locale.ROOT, "%s mode=%s rows=%d distinct=%d expected=%d firstRowMillis=%d lastRowMillis=%d "
                            + "windowImages=%d windowMillis=%d jobCpuMs=%d pubsubCpuMs=%d gcsCpuMs=%d%n",
                    report ? "CLOUDJOB" : "WARMUP", a.get("mode"), rows.size(), distinct, n,
                    times.length == 0 ? -1 : times[0], times.length == 0 ? -1 : times[times.length - 1],
                    n1 - n0, millis, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], cpu1[2] - cpu0[2]);
            if (report) {
                // Wall time per image in each step of the classify operator, to set against its thread's CPU.
                double perImage = 1e6 * Math.max(1, n1 - n0);
                System.out.printf(Locale.ROOT, "STAGES decodeMs=%.3f preprocessMs=%.3f inferenceMs=%.3f%n",
                        (stages1[0] - stages0[0]) / perImage, (stages1[1] - stages0[1]) / perImage,
                        (stages1[2] - stages0[2]) / perImage);
                System.out.print("CPU seconds by thread (measured window):\n" + threadTable);
                System.out.print(taskTable);
            }
            return ok;
        }

        private List<String> names(int n) {
            List<String> names = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                names.add(String.format(Locale.ROOT, "r%03d/%s", i / files.size(), files.get(i % files.size())
                        .getFileName()));
            }
            return names;
        }

        private void upload(String bucket, List<String> names) throws Exception {
            try (Storage storage = StorageOptions.http().setHost(a.get("gcs")).setProjectId(CloudEmulators.PROJECT)
                    .setCredentials(NoCredentials.getInstance()).build().getService()) {
                storage.create(BucketInfo.of(bucket));
                Map<Path, byte[]> bytes = new HashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    Path f = files.get(i % files.size());
                    byte[] data = bytes.computeIfAbsent(f, CloudJobRun::read);
                    storage.create(BlobInfo.newBuilder(bucket, names.get(i)).setContentType("image/jpeg").build(), data);
                }
            }
        }

        /**
         * fake-gcs-server keeps objects in memory, and its CPU per request grows with what it holds
         * (measured apart: 0.5 ms per GET holding 2,400 objects, 0.2 ms holding 200): each run leaves
         * the emulator as it found it, so every interval is measured against the same emulator.
         */
        private void deleteObjects(String bucket, List<String> names) throws Exception {
            try (Storage storage = StorageOptions.http().setHost(a.get("gcs")).setProjectId(CloudEmulators.PROJECT)
                    .setCredentials(NoCredentials.getInstance()).build().getService()) {
                for (String name : names) {
                    storage.delete(bucket, name);
                }
                storage.delete(bucket);
            }
        }

        /** CPU ms of this JVM, the Pub/Sub emulator and fake-gcs-server. */
        private long[] cpuMs() {
            return new long[] {ProcCpu.millis("self"), ProcCpu.millis(Long.toString(emulatorPids[0])),
                ProcCpu.millis(Long.toString(emulatorPids[1]))};
        }

        /** Whether the job has finished (a local {@code --once} run); throws its failure or a timeout. */
        private static boolean ended(JobClient job, long deadline, String what) throws Exception {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            if (job.getJobExecutionResult().isDone()) {
                job.getJobExecutionResult().get(); // throws the failure
                return true;
            }
            return false;
        }
    }

    private static long[] stageNanos(int from) {
        return new long[] {LatencyReporter.stageTotal(ClassifyFunction.METRIC_DECODE_NANOS, from),
            LatencyReporter.stageTotal(ClassifyFunction.METRIC_PREPROCESS_NANOS, from),
            LatencyReporter.stageTotal(ClassifyFunction.METRIC_INFERENCE_NANOS, from)};
    }

    private static long classified(int from) {
        return LatencyReporter.stageTotal("imagesClassified", from);
    }

    private static long parseMillis(String duration) {
        return org.apache.flink.util.TimeUtils.parseDuration(duration).toMillis();
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
