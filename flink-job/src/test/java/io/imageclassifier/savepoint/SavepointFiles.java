package io.imageclassifier.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.junit.jupiter.api.Assumptions;

/** What the savepoint-compatibility tests share: the committed savepoints, waiting, metrics. */
final class SavepointFiles {
    /** Committed savepoints of earlier builds (module-relative: tests run in the module directory). */
    static final Path COMMITTED = Path.of("src/test/resources/savepoints");
    /** Long, so the restored dedupe marks outlive the years a savepoint is kept for. */
    static final String DEDUPE_TTL = "36500d";

    private SavepointFiles() {}

    /** A copy of the committed savepoint {@code name} in {@code scratch} (Flink never writes to the original). */
    static Path copyOf(String name, Path scratch) throws IOException {
        Path copy = scratch.resolve(name);
        copyTree(COMMITTED.resolve(name), copy);
        return copy;
    }

    /** The folder a new savepoint is written to; skips the writing test when it exists already. */
    static String newName(String defaultName) {
        String name = System.getProperty("savepoint.name", defaultName);
        Assumptions.assumeFalse(Files.exists(COMMITTED.resolve(name)),
                "savepoints/" + name + " exists: committed savepoints are never overwritten (-Dsavepoint.name=...)");
        return name;
    }

    /**
     * Copies a savepoint Flink wrote ({@code pointer}, as returned by stop-with-savepoint) to
     * {@code COMMITTED/name}, after checking it names none of {@code localPaths} (it would not
     * restore elsewhere). Never overwrites one.
     */
    static Path commit(String pointer, String name, List<Path> localPaths) throws IOException {
        Path target = COMMITTED.resolve(name);
        assertThat(target).as("committed savepoints are never overwritten").doesNotExist();
        Path written = Path.of(URI.create(pointer));
        String metadata = new String(Files.readAllBytes(written.resolve("_metadata")), StandardCharsets.ISO_8859_1);
        for (Path local : localPaths) {
            assertThat(metadata).as("savepoint names a local path").doesNotContain(local.toString());
        }
        copyTree(written, target);
        return target;
    }

    /** Waits for {@code done}; a job that ends meanwhile (a restore that failed) fails at once. */
    static void waitFor(JobClient job, String what, BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!done.getAsBoolean()) {
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                job.getJobExecutionResult().get(); // throws the job's failure
                throw new AssertionError("the job ended while waiting for " + what);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    /** Cancels {@code job} unless it has ended already (so a failed restore's error is the one reported). */
    static void cancel(JobClient job) throws Exception {
        if (!job.getJobStatus().get().isGloballyTerminalState()) {
            job.cancel().get();
        }
    }

    /** The sum over all subtasks of {@code job} of the counter {@code name}. */
    static long counter(InMemoryReporter metrics, JobID job, String name) {
        long sum = 0;
        for (var group : metrics.getMetricsByGroup().entrySet()) {
            if (job.toString().equals(group.getKey().getAllVariables().get("<job_id>"))
                    && group.getValue().get(name) instanceof Counter c) {
                sum += c.getCount();
            }
        }
        return sum;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest);
                }
            }
        }
    }
}
