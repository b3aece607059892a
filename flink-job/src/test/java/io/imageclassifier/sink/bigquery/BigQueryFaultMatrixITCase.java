package io.imageclassifier.sink.bigquery;

import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.IMAGES;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.TABLE;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.TABLE_NAME;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.assertEveryImageCommittedOnce;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.job;
import static io.imageclassifier.sink.bigquery.LocalBigQueryJob.onceSomeRowsAreCommitted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.grpc.Status;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.sink.bigquery.fake.CommitFaults;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryRest;
import io.imageclassifier.sink.bigquery.fake.FakeBigQueryWrite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The BigQuery rows of the fault matrix (issue #11), each on the real local-mode job (600 images,
 * exactly-once, the gRPC fake through the real client), with the fault injected once the first
 * rows are committed, so that work is in flight when it hits; each asserts the exact row set.
 */
class BigQueryFaultMatrixITCase {

    private static final Duration OUTAGE = Duration.ofSeconds(30);
    /** How long the lost reply keeps the committer waiting: enough for the kill to land while it waits. */
    private static final Duration REPLY_DELAY = Duration.ofSeconds(5);

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir Path input;
    @TempDir Path output;
    @TempDir Path checkpoints;
    private FakeBigQueryWrite write;
    private FakeBigQueryRest rest;
    private CommitFaults faults;
    private Set<String> images;

    @BeforeEach
    void start() throws Exception {
        write = new FakeBigQueryWrite().start();
        rest = new FakeBigQueryRest().start();
        faults = write.commitFaults();
        images = LocalBigQueryJob.copyImages(input);
    }

    @AfterEach
    void stop() throws Exception {
        write.close();
        rest.close();
    }

    @Test
    void finalizeAndCommitUnavailableFor30SecondsDelaysRowsButLosesAndRepeatsNone() throws Exception {
        CompletableFuture<Integer> outage = onceSomeRowsAreCommitted(write, () -> {
            faults.failFinalizeFor(OUTAGE, Status.Code.UNAVAILABLE);
            faults.failCommitFor(OUTAGE, Status.Code.UNAVAILABLE);
            return write.committedRows(TABLE).size();
        });

        job(config(), new Configuration()).execute("bigquery-outage");

        assertThat(outage.get()).as("rows committed when the outage began: mid-run").isLessThan(IMAGES);
        assertThat(faults.injectedFailures()).as("finalize/commit calls refused during the outage").isPositive()
                .as("retried with backoff (200 ms doubling to 10 s), not in a busy loop").isLessThan(60);
        assertEveryImageCommittedOnce(write, images);
    }

    @Test
    void commitWhoseReplyIsLostThenTaskManagerDiesCommitsEveryRowOnce(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        CompletableFuture<int[]> kill = onceSomeRowsAreCommitted(write, () -> {
            // Applied, but the committer hears nothing until REPLY_DELAY: it is still waiting when the
            // TaskManager dies (terminating it returns once the blocked call gave up, at most REPLY_DELAY later).
            faults.loseReplies(1, Status.Code.DEADLINE_EXCEEDED, REPLY_DELAY);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (faults.lostReplies() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            cluster.terminateTaskManager(0).get();
            int[] atRestart = {write.committedRows(TABLE).size(), write.alreadyCommittedAnswers()};
            cluster.startTaskManager();
            return atRestart;
        });

        job(config(), new Configuration()).execute("bigquery-lost-commit-reply");

        int[] atRestart = kill.get();
        assertThat(faults.lostReplies()).as("a commit was applied and its reply lost").isEqualTo(1);
        assertThat(atRestart[0]).as("rows committed once the TaskManager was dead: work was in flight")
                .isLessThan(IMAGES);
        assertThat(atRestart[1]).as("no already-committed answer before the restart").isZero();
        assertThat(write.alreadyCommittedAnswers()).as("the restored commit was recognised as already applied")
                .isPositive();
        assertEveryImageCommittedOnce(write, images);
    }

    @ParameterizedTest(name = "{0} at {1}")
    // A missing table fails finalize and commit alike; failing only finalize would let a commit of
    // streams finalized just before the fault through, after the rows counted as "last good commit".
    @CsvSource({"PERMISSION_DENIED, commit", "NOT_FOUND, finalize and commit"})
    void refusedCommitFailsTheJobNamingTheTableAndARestartFromItsCheckpointAfterTheFixCommitsEveryRowOnce(
            Status.Code code, String call) throws Exception {
        Configuration failFast = new Configuration();
        failFast.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        failFast.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        failFast.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        failFast.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        failFast.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        CompletableFuture<Integer> refusal = onceSomeRowsAreCommitted(write, () -> {
            faults.failCommit(Integer.MAX_VALUE, code);
            if (call.contains("finalize")) {
                faults.failFinalize(Integer.MAX_VALUE, code);
            }
            return write.committedRows(TABLE).size();
        });
        JobConfig config = config();

        Throwable failure = catchThrowable(() -> job(config, failFast).execute("bigquery-refused"));

        int committedAtRefusal = refusal.get();
        assertThat(failure).as("the job fails instead of running on without the rows").isNotNull();
        Optional<Throwable> cause = ExceptionUtils.findThrowableWithMessage(failure, "table " + TABLE_NAME);
        assertThat(cause).as("a cause names the table").isPresent();
        assertThat(cause.get().getMessage()).contains(code.name()).contains("restarts from its last checkpoint");
        assertThat(committedAtRefusal).as("rows committed when BigQuery began refusing: mid-run").isLessThan(IMAGES);
        assertThat(write.committedRows(TABLE)).as("nothing committed past the last good commit")
                .hasSize(committedAtRefusal);
        Set<String> refused = faults.refusedStreams();
        assertThat(refused).isNotEmpty().as("the error names a refused stream").anyMatch(cause.get().getMessage()::contains);

        // The fix (permission granted, table back), then the job started from its retained checkpoint.
        faults.clear();
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, latestCheckpoint().toString());
        job(config, restore).execute("bigquery-after-fix");

        assertThat(write.committedStreams()).as("the refused streams were committed from the checkpoint")
                .containsAll(refused);
        assertEveryImageCommittedOnce(write, images);
    }

    @Test
    void refusedCommitIsCommittedByTheRestartStrategyAtTheFirstRestartAfterTheFix() throws Exception {
        // As deployed (k8s/base/flinkdeployment.yaml): exponential-delay with no attempt limit, here with short delays.
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofMillis(200));
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofSeconds(1));
        CompletableFuture<int[]> refusalThenFix = onceSomeRowsAreCommitted(write, () -> {
            faults.failCommit(Integer.MAX_VALUE, Status.Code.PERMISSION_DENIED);
            int committedAtRefusal = write.committedRows(TABLE).size();
            // A stream refused twice was restored and committed again after a restart: the job is crash-looping.
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (faults.refusals().values().stream().allMatch(n -> n < 2)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no refused commit was tried again after a restart within 2 minutes");
                }
                Thread.sleep(20);
            }
            int committedWhileRefused = write.committedRows(TABLE).size();
            faults.clear(); // the role is granted
            return new int[] {committedAtRefusal, committedWhileRefused};
        });

        job(config(), restarts).execute("bigquery-refused-then-fixed");

        int[] committed = refusalThenFix.get();
        assertThat(committed[0]).as("rows committed when BigQuery began refusing: mid-run").isLessThan(IMAGES);
        assertThat(committed[1]).as("nothing committed while BigQuery refused").isEqualTo(committed[0]);
        assertThat(write.committedStreams()).as("the refused streams were committed after the fix")
                .containsAll(faults.refusedStreams());
        assertEveryImageCommittedOnce(write, images);
    }

    private JobConfig config() {
        return LocalBigQueryJob.config(input, output, rest, write, "exactly-once");
    }

    /** The newest retained checkpoint ({@code <dir>/<job id>/chk-N} with its {@code _metadata}). */
    private Path latestCheckpoint() throws Exception {
        try (Stream<Path> files = Files.walk(checkpoints)) {
            return files.filter(p -> p.getFileName().toString().equals("_metadata"))
                    .map(Path::getParent)
                    .filter(p -> p.getFileName().toString().startsWith("chk-"))
                    .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(4))))
                    .orElseThrow(() -> new AssertionError("no retained checkpoint under " + checkpoints));
        }
    }
}
