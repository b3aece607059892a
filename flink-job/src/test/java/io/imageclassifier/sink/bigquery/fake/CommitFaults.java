package io.imageclassifier.sink.bigquery.fake;

import com.google.cloud.bigquery.storage.v1.StorageError;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Faults {@link FakeBigQueryWrite} injects into FinalizeWriteStream and BatchCommitWriteStreams, and
 * what it saw of those calls. Thread-safe; the fake asks it at the start of each call.
 */
public final class CommitFaults {

    /** What a BatchCommitWriteStreams call does instead of committing normally. */
    enum CommitOutcome { NORMAL, ERROR_CODE, EMPTY_REPLY, STREAM_ERRORS }

    private CallFault finalizeFault = CallFault.none();
    private CallFault commitFault = CallFault.none();
    private CallFault lostReply = CallFault.none();
    private Duration lostReplyDelay = Duration.ZERO;
    private int emptyReplies;
    private int streamErrors;
    private StorageError.StorageErrorCode streamErrorCode;
    private final List<Long> finalizeCallNanos = new ArrayList<>();
    private final List<Long> commitCallNanos = new ArrayList<>();
    private final Map<String, Integer> refusals = new LinkedHashMap<>();

    // ---- test controls

    /** The next {@code n} FinalizeWriteStream calls fail with {@code code} and change nothing. */
    public synchronized void failFinalize(int n, Status.Code code) {
        finalizeFault = CallFault.forCalls(n, code);
    }

    /** Every FinalizeWriteStream call fails with {@code code} for {@code duration} from now. */
    public synchronized void failFinalizeFor(Duration duration, Status.Code code) {
        finalizeFault = CallFault.forDuration(duration, code);
    }

    /** The next {@code n} BatchCommitWriteStreams calls fail with {@code code} and commit nothing. */
    public synchronized void failCommit(int n, Status.Code code) {
        commitFault = CallFault.forCalls(n, code);
    }

    /** Every BatchCommitWriteStreams call fails with {@code code} for {@code duration} from now. */
    public synchronized void failCommitFor(Duration duration, Status.Code code) {
        commitFault = CallFault.forDuration(duration, code);
    }

    /**
     * The next {@code n} BatchCommitWriteStreams calls are applied (the rows become visible), but the
     * client gets {@code code} instead of the answer, {@code delay} later: a reply lost on the way back.
     */
    public synchronized void loseReplies(int n, Status.Code code, Duration delay) {
        lostReply = CallFault.forCalls(n, code);
        lostReplyDelay = delay;
    }

    /** The next {@code n} BatchCommitWriteStreams calls commit nothing and answer with neither commit time nor errors. */
    public synchronized void emptyReplies(int n) {
        emptyReplies = n;
    }

    /** The next {@code n} BatchCommitWriteStreams calls commit nothing and report {@code code} for every stream. */
    public synchronized void streamErrors(int n, StorageError.StorageErrorCode code) {
        streamErrors = n;
        streamErrorCode = code;
    }

    /** Ends every injected fault: BigQuery is healthy again. */
    public synchronized void clear() {
        finalizeFault = CallFault.none();
        commitFault = CallFault.none();
        lostReply = CallFault.none();
        emptyReplies = 0;
        streamErrors = 0;
    }

    // ---- views

    /** {@link System#nanoTime()} of every FinalizeWriteStream call received, in order. */
    public synchronized List<Long> finalizeCallNanos() {
        return List.copyOf(finalizeCallNanos);
    }

    /** {@link System#nanoTime()} of every BatchCommitWriteStreams call received, in order. */
    public synchronized List<Long> commitCallNanos() {
        return List.copyOf(commitCallNanos);
    }

    /** Finalize and commit calls answered with an injected error code. */
    public synchronized int injectedFailures() {
        return finalizeFault.hits() + commitFault.hits();
    }

    /** Commits applied whose reply was then lost. */
    public synchronized int lostReplies() {
        return lostReply.hits();
    }

    /** Streams named in a finalize or commit call that an injected fault refused. */
    public synchronized Set<String> refusedStreams() {
        return Set.copyOf(refusals.keySet());
    }

    /**
     * How many finalize or commit calls an injected fault refused, per stream. A stream refused a
     * non-retryable error more than once was tried again after a job restart (the committer does
     * not retry those itself).
     */
    public synchronized Map<String, Integer> refusals() {
        return Map.copyOf(refusals);
    }

    // ---- used by the fake

    /** Records a finalize call; the code to fail it with, or null. */
    synchronized Status.Code onFinalize(String stream) {
        finalizeCallNanos.add(System.nanoTime());
        if (finalizeFault.hit()) {
            refusals.merge(stream, 1, Integer::sum);
            return finalizeFault.code();
        }
        return null;
    }

    /** Records a commit call; what it does. */
    synchronized CommitOutcome onCommit(List<String> streams) {
        commitCallNanos.add(System.nanoTime());
        CommitOutcome outcome = commitFault.hit() ? CommitOutcome.ERROR_CODE
                : emptyReplies > 0 ? CommitOutcome.EMPTY_REPLY
                : streamErrors > 0 ? CommitOutcome.STREAM_ERRORS
                : CommitOutcome.NORMAL;
        switch (outcome) {
            case EMPTY_REPLY -> emptyReplies--;
            case STREAM_ERRORS -> streamErrors--;
            default -> { }
        }
        if (outcome != CommitOutcome.NORMAL && outcome != CommitOutcome.EMPTY_REPLY) {
            streams.forEach(s -> refusals.merge(s, 1, Integer::sum));
        }
        return outcome;
    }

    synchronized Status.Code commitErrorCode() {
        return commitFault.code();
    }

    synchronized StorageError.StorageErrorCode streamErrorCode() {
        return streamErrorCode;
    }

    /** After a commit was applied: the code to answer instead of the reply, or null. */
    synchronized Status.Code lostReplyCode() {
        return lostReply.hit() ? lostReply.code() : null;
    }

    synchronized Duration lostReplyDelay() {
        return lostReplyDelay;
    }
}
