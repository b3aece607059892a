package io.imageclassifier.sink.bigquery.committer;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;

/**
 * A commit request that records the signals a committer gives it. As in Flink's CommitterOperator,
 * a request left without a signal after {@code commit} returns counts as committed.
 */
final class RecordingCommitRequest implements Committer.CommitRequest<BigQueryCommittable> {

    private final BigQueryCommittable committable;
    private final List<String> signals = new ArrayList<>();

    RecordingCommitRequest(BigQueryCommittable committable) {
        this.committable = committable;
    }

    /** Signals received, in order: alreadyCommitted, failedWithKnownReason, failedWithUnknownReason, retryLater, updateAndRetryLater. */
    List<String> signals() {
        return signals;
    }

    @Override
    public BigQueryCommittable getCommittable() {
        return committable;
    }

    @Override
    public int getNumberOfRetries() {
        return (int) signals.stream().filter(s -> s.endsWith("etryLater")).count();
    }

    @Override
    public void signalFailedWithKnownReason(Throwable t) {
        signals.add("failedWithKnownReason");
    }

    @Override
    public void signalFailedWithUnknownReason(Throwable t) {
        signals.add("failedWithUnknownReason");
        throw new IllegalStateException("Failed to commit " + committable, t);
    }

    @Override
    public void retryLater() {
        signals.add("retryLater");
    }

    @Override
    public void updateAndRetryLater(BigQueryCommittable committable) {
        signals.add("updateAndRetryLater");
    }

    @Override
    public void signalAlreadyCommitted() {
        signals.add("alreadyCommitted");
    }
}
