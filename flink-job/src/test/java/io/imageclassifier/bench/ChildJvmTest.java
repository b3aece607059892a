package io.imageclassifier.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChildJvmTest {

    @Test
    void findsTheMainThreadsExceptionBeforeTheLogThatFollowedIt() {
        List<String> log = List.of(
                "00:16:28,749 INFO  LocalDirectoryEnumerator - Listed 60 files",
                "Exception in thread \"main\" java.util.concurrent.ExecutionException: job failed",
                "\tat io.imageclassifier.bench.CloudJobRun.main(CloudJobRun.java:84)",
                "Caused by: java.lang.IllegalStateException: the real reason",
                "\t... 3 more",
                "00:16:32,149 WARN  CheckpointFailureManager - Failed to trigger or complete checkpoint 2",
                "org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint was declined (tasks not ready)",
                "\tat org.apache.flink.runtime.taskmanager.Task.declineCheckpoint(Task.java:1463)");

        String message = ChildJvm.failure("run 2s-local", 1, Path.of("run.log"), log).getMessage();

        assertThat(ChildJvm.mainException(log)).containsExactly(log.get(1), log.get(2), log.get(3), log.get(4));
        assertThat(message).contains("exit 1").contains("Caused by: java.lang.IllegalStateException: the real reason")
                .contains("Checkpoint was declined (tasks not ready)");
        assertThat(message.indexOf("the real reason")).isLessThan(message.indexOf("tasks not ready"));
    }

    @Test
    void saysSoWhenTheChildDiedWithoutAnException() {
        List<String> log = List.of("00:16:28,749 INFO  something", "Killed");

        assertThat(ChildJvm.mainException(log)).isEmpty();
        assertThat(ChildJvm.failure("job run warm", 137, Path.of("job.log"), log).getMessage())
                .contains("exit 137").contains("no uncaught exception").endsWith("Killed");
    }

    @Test
    void killsAChildThatOutlivesItsLimit() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();

        assertThat(ChildJvm.await(child, Duration.ofMillis(200))).isEqualTo(ChildJvm.TIMED_OUT);
        assertThat(child.isAlive()).isFalse();
        assertThat(ChildJvm.failure("run 2s-cloud", ChildJvm.TIMED_OUT, Path.of("run.log"), List.of()).getMessage())
                .startsWith("run 2s-cloud timed out, killed (exit 124)");
    }

    @Test
    void givesTheExitCodeOfAChildThatEnded() throws Exception {
        assertThat(ChildJvm.await(new ProcessBuilder("sh", "-c", "exit 3").start(), Duration.ofSeconds(30)))
                .isEqualTo(3);
    }

    @Test
    void aChildWhoseMainThrowsExitsDespiteItsOtherThreadsAndIsReportedWithItsException() throws Exception {
        Path log = Files.createTempFile("child", ".log");
        try {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ThrowingChild.class.getName())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();

            int rc = ChildJvm.await(child, Duration.ofSeconds(60));
            List<String> lines = Files.readAllLines(log);

            assertThat(rc).isEqualTo(1);
            assertThat(ChildJvm.failure("run x", rc, log, lines).getMessage())
                    .contains("Exception in thread \"main\" java.lang.IllegalStateException: the job failed");
        } finally {
            Files.delete(log);
        }
    }

    /** A child whose measurement fails while a non-daemon thread (a streaming job's) still runs. */
    static final class ThrowingChild {
        public static void main(String[] args) {
            Thread job = new Thread(() -> {
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            job.start();
            ChildJvm.runAndExit(() -> {
                throw new IllegalStateException("the job failed");
            });
        }
    }
}
