package io.imageclassifier.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.executiongraph.ErrorInfo;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.scheduler.ExecutionGraphInfo;
import org.apache.flink.runtime.scheduler.exceptionhistory.RootExceptionHistoryEntry;

/**
 * What a test may wait for instead of a fixed sleep: conditions on a running job of a
 * {@link MiniCluster} (completed checkpoints, failures in its exception history).
 */
public final class JobProgress {
    private JobProgress() {}

    /** Checkpoints of {@code job} completed so far. */
    public static long completedCheckpoints(MiniCluster cluster, JobID job) throws Exception {
        CheckpointStatsSnapshot stats = cluster.getExecutionGraph(job).get().getCheckpointStatsSnapshot();
        return stats == null ? 0 : stats.getCounts().getNumberOfCompletedCheckpoints();
    }

    /**
     * Waits until {@code more} checkpoints complete after now. A checkpoint that completes after
     * a condition was met commits (files, acks, BigQuery) whatever was emitted before it: a
     * duplicate or a late row still in the pipeline at that point would be visible after it.
     */
    public static void awaitCheckpoints(MiniCluster cluster, JobID job, int more, Duration limit) throws Exception {
        long target = completedCheckpoints(cluster, job) + more;
        await(more + " more completed checkpoints", limit, () -> {
            try {
                return completedCheckpoints(cluster, job) >= target;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The failures in {@code job}'s exception history so far, each with its causes, as text. */
    public static List<String> failures(MiniCluster cluster, JobID job) throws Exception {
        ExecutionGraphInfo info = cluster.getExecutionGraphInfo(job).get();
        List<String> texts = new ArrayList<>();
        for (RootExceptionHistoryEntry root : info.getExceptionHistory()) {
            texts.add(root.getExceptionAsString());
            for (ErrorInfo concurrent : root.getConcurrentExceptions()) {
                texts.add(concurrent.getExceptionAsString());
            }
        }
        return texts;
    }

    /** Polls {@code done} every 100 ms; fails after {@code limit} naming {@code what}. */
    public static void await(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
