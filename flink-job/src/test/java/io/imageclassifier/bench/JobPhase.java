package io.imageclassifier.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the {@code job} phase: lays out an input folder holding the set's files {@code repeats}
 * times (hard links under {@code r000/}, {@code r001/}, ...: different names, so dedupe lets each
 * through), then runs {@link JobRun} in a child JVM with the parent's classpath and JVM flags and
 * parses its result line.
 */
final class JobPhase {

    /** What one job run measured; see {@link JobRun}. */
    record Result(int rows, int deadLetters, long firstRowMillis, long secondHalfFromMillis, long lastRowMillis,
            long wallMillis, long p50Millis, long p99Millis, long vmHwmKb, int warmupRows, long warmupFirstRowMillis,
            long warmupLastRowMillis, long startMillis, long warmupStartMillis, Paced paced) {

        /**
         * Time to first prediction of the first job in a fresh JVM (the warm-up run): submission ->
         * first row, through a MiniCluster start, the model's load and code run cold, as a new
         * TaskManager pays it; -1 without a warm-up run.
         */
        long firstJobTimeToFirstRowMillis() {
            return warmupRows == 0 || warmupStartMillis <= 0 ? -1 : warmupFirstRowMillis - warmupStartMillis;
        }

        /**
         * The same for the measured run, the second job in the JVM: the model is loaded again (the
         * first job's close released it) but the code is compiled, as a restart on a TaskManager
         * that ran the job before pays it.
         */
        long timeToFirstRowMillis() {
            return rows == 0 || startMillis <= 0 ? -1 : firstRowMillis - startMillis;
        }

        /** Steady-state images/s: rows between the first and the last row written. */
        double imagesPerSecond() {
            return rows < 2 || lastRowMillis <= firstRowMillis ? 0 : (rows - 1) * 1000.0 / (lastRowMillis - firstRowMillis);
        }

        /** Steady-state images/s of the warm-up run (the fresh JVM, JIT cold); 0 without one. */
        double coldImagesPerSecond() {
            return warmupRows < 2 || warmupLastRowMillis <= warmupFirstRowMillis ? 0
                    : (warmupRows - 1) * 1000.0 / (warmupLastRowMillis - warmupFirstRowMillis);
        }

        /**
         * Images/s over the second half of the rows only: a diagnostic of how much of the gap to
         * {@link #imagesPerSecond()} is the fresh JVM's warm-up (JIT) early in the run.
         */
        double secondHalfImagesPerSecond() {
            int n = rows - rows / 2;
            return n < 2 || lastRowMillis <= secondHalfFromMillis ? 0
                    : (n - 1) * 1000.0 / (lastRowMillis - secondHalfFromMillis);
        }
    }

    /** The paced run's figures ({@link JobRun}'s {@code PACED} line); null where there was none. */
    record Paced(int files, int predicted, double pace, double seconds, long p50Millis, long p99Millis, long maxMillis) {}

    private final Path workDir;
    private final Path sharedDir;
    private final String heap;
    private final List<String> extraJobFlags;

    JobPhase(Path workDir, Path sharedDir, String heap, List<String> extraJobFlags) {
        this.workDir = workDir;
        this.sharedDir = sharedDir;
        this.heap = heap;
        this.extraJobFlags = extraJobFlags;
    }

    /** The set's files {@code repeats} times under {@code workDir/job-input/<set>-x<repeats>}. */
    Path input(ImageSet set, int repeats) throws IOException {
        Path dir = workDir.resolve("job-input").resolve(set.name() + "-" + set.files().size() + "x" + repeats);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Path tmp = workDir.resolve("job-input").resolve("." + dir.getFileName());
        deleteTree(tmp);
        Path first = tmp.resolve("r000");
        Files.createDirectories(first);
        for (Path f : set.files()) {
            Files.copy(f, first.resolve(f.getFileName()));
        }
        for (int r = 1; r < repeats; r++) {
            Path copy = Files.createDirectories(tmp.resolve(String.format("r%03d", r)));
            for (Path f : set.files()) {
                Path src = first.resolve(f.getFileName());
                try {
                    Files.createLink(copy.resolve(f.getFileName()), src);
                } catch (UnsupportedOperationException | FileSystemException e) {
                    Files.copy(src, copy.resolve(f.getFileName()));
                }
            }
        }
        Files.move(tmp, dir);
        return dir;
    }

    /**
     * Runs the job over {@code input} at {@code parallelism} in a child JVM, after a warm-up run of
     * the same graph over {@code warmup} in the same JVM where that is not null.
     */
    Result run(Path input, Path warmup, int parallelism, String label) throws IOException, InterruptedException {
        return run(input, warmup, 0, 0, parallelism, label);
    }

    /**
     * Extra options for a benchmark's job JVM, from {@code BENCH_JOB_JAVA_OPTS} (whitespace-separated),
     * e.g. a JFR recording; bench.sh and bench-cloud.sh both read it. JVM output such as
     * {@code -XX:+PrintCompilation} belongs in a file of its own ({@code -XX:+UnlockDiagnosticVMOptions
     * -XX:-DisplayVMOutput -XX:+LogVMOutput -XX:LogFile=F}): on stdout it lands in the middle of the
     * lines the harness parses.
     */
    static List<String> extraJavaOptions() {
        String extra = System.getenv().getOrDefault("BENCH_JOB_JAVA_OPTS", "").strip();
        return extra.isEmpty() ? List.of() : List.of(extra.split("\\s+"));
    }

    /** This JVM's uptime, the time stamp of -XX:+PrintCompilation's lines. */
    static long uptimeMillis() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /**
     * As {@link #run(Path, Path, int, String)}, then (with {@code pace > 0}) a paced run in the same
     * JVM over the warm-up input's files: {@code pace} files/s for {@code pacedSeconds}.
     */
    Result run(Path input, Path warmup, double pace, double pacedSeconds, int parallelism, String label)
            throws IOException, InterruptedException {
        Path out = workDir.resolve("job-output").resolve(label);
        deleteTree(out);
        deleteTree(Path.of(out + "-warmup"));
        deleteTree(Path.of(out + "-paced"));
        deleteTree(Path.of(out + "-paced-input"));
        Path log = workDir.resolve("logs").resolve("job-" + label + ".log");
        Files.createDirectories(log.getParent());

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // A fixed, pre-touched heap: its RSS is the same at any parallelism, so a difference in
        // peak RSS between runs is native memory (model sessions, ONNX Runtime arenas, buffers).
        cmd.add("-Xms" + heap);
        cmd.add("-Xmx" + heap);
        cmd.add("-XX:+AlwaysPreTouch");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Dlog4j") || a.startsWith("-Djava.util.logging")) {
                cmd.add(a);
            }
        }
        cmd.addAll(extraJavaOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), JobRun.class.getName(),
                sharedDir.toString(), Integer.toString(parallelism), input.toString(), out.toString(),
                warmup == null ? "-" : warmup.toString(), Double.toString(pace), Double.toString(pacedSeconds),
                "--parallelism", Integer.toString(parallelism), "--no-console"));
        cmd.addAll(extraJobFlags);
        ChildJvm.Ended ended = ChildJvm.run(cmd, log);
        int rc = ended.rc();
        List<String> lines = ended.lines();
        String result = lines.stream().filter(l -> l.startsWith("JOB ")).reduce((a, b) -> b).orElse(null);
        if (rc != 0 || result == null) {
            throw ChildJvm.failure("job run " + label, rc, log, lines);
        }
        Map<String, Long> v = new HashMap<>(Map.of("warmupRows", 0L, "warmupFirstRowMillis", -1L,
                "warmupLastRowMillis", -1L, "warmupStartMillis", -1L));
        lines.stream().filter(l -> l.startsWith("WARMUP ")).forEach(l -> parse(l, "warmup", v));
        parse(result, "", v);
        String stages = lines.stream().filter(l -> l.startsWith("STAGES ")).findFirst().orElse("");
        System.out.println("           per image: " + stages.replaceFirst("^STAGES ", ""));
        Matcher inference = Pattern.compile("inferenceMs=([0-9.]+)").matcher(stages);
        if (v.get("rows") > 0 && !(inference.find() && Double.parseDouble(inference.group(1)) > 0)) {
            throw new IllegalStateException("job run " + label + ": the classify operator's step-time counters read zero: "
                    + stages);
        }
        Paced paced = null;
        String pacedLine = lines.stream().filter(l -> l.startsWith("PACED ")).reduce((a, b) -> b).orElse(null);
        if (pacedLine != null) {
            Map<String, String> f = new HashMap<>();
            for (String kv : pacedLine.substring(6).trim().split(" ")) {
                String[] parts = kv.split("=", 2);
                f.put(parts[0], parts[1]);
            }
            paced = new Paced(Integer.parseInt(f.get("files")), Integer.parseInt(f.get("predicted")),
                    Double.parseDouble(f.get("pace")), Double.parseDouble(f.get("seconds")),
                    Long.parseLong(f.get("p50Millis")), Long.parseLong(f.get("p99Millis")),
                    Long.parseLong(f.get("maxMillis")));
        } else if (pace > 0 && warmup != null) {
            throw new IllegalStateException("job run " + label + " printed no PACED line; see " + log);
        }
        return new Result(v.get("rows").intValue(), v.get("deadLetters").intValue(), v.get("firstRowMillis"),
                v.get("secondHalfFromMillis"), v.get("lastRowMillis"), v.get("wallMillis"), v.get("p50Millis"),
                v.get("p99Millis"), v.get("vmHwmKb"), v.get("warmupRows").intValue(), v.get("warmupFirstRowMillis"),
                v.get("warmupLastRowMillis"), v.get("startMillis"), v.get("warmupStartMillis"), paced);
    }

    /** Parses {@code WORD k=v k=v ...} into {@code v}, keys prefixed ({@code rows} -> {@code warmupRows}). */
    private static void parse(String line, String prefix, Map<String, Long> v) {
        for (String kv : line.substring(line.indexOf(' ') + 1).trim().split(" ")) {
            String[] parts = kv.split("=", 2);
            String key = prefix.isEmpty() ? parts[0] : prefix + Character.toUpperCase(parts[0].charAt(0)) + parts[0].substring(1);
            v.put(key, Long.parseLong(parts[1]));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
