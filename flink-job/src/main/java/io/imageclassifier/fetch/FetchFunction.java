package io.imageclassifier.fetch;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * The one fetch stage of every source: reads the object version an {@link ObjectRef} names from
 * where its {@link ObjectRef#source() source} says it lives. Local files are read at once on the
 * task thread (a local read costs less than a hand-over to another thread); Cloud Storage objects
 * with one request per attempt on the store's download threads ({@link GcsObjectStore}, as many
 * threads as the operator's capacity, which bounds the requests in flight). The Cloud Storage
 * store is created on first use, so local mode never builds one.
 *
 * <p>Durable retries: a transient failure (refused connection, 429/5xx, a stalled download past
 * {@code --fetch-timeout}) completes the attempt with a {@link FetchResult#retryPending()} result,
 * and the async operator ({@link #retryStrategy}) tries again after a backoff. The waiting object
 * stays in the operator's queue, which is checkpointed: an outage of minutes delays rows, and a
 * restart during it loses none. Only when the object's {@code --fetch-retry-budget} is spent does it
 * become a dead letter, marked {@code retryable}. Final failures (404, too large) are dead letters
 * at once. A 401/403 fails the job, naming the principal and the role it needs: a missing grant is
 * not a property of one image, and dead-lettering would drain the whole subscription.
 *
 * <p>Metrics, in group {@value #GROUP}: {@value #FETCHED}, {@value #BYTES}, {@value #RETRIES}, and one
 * counter per failure reason code ({@code not_found}, {@code forbidden}, {@code too_large},
 * {@code fetch_timeout}, {@code fetch_error}).
 */
public final class FetchFunction extends RichAsyncFunction<ObjectRef, FetchResult> {

    private static final long serialVersionUID = 1L;
    public static final String GROUP = "fetch";
    public static final String FETCHED = "objectsFetched";
    public static final String BYTES = "bytesFetched";
    public static final String RETRIES = "retries";
    private static final List<DeadLetterReason> REASONS = List.of(DeadLetterReason.NOT_FOUND,
            DeadLetterReason.FORBIDDEN, DeadLetterReason.TOO_LARGE, DeadLetterReason.FETCH_TIMEOUT,
            DeadLetterReason.FETCH_ERROR);

    private final String localRoot;
    private final GcsConfig config;
    private final long maxBytes;

    private transient ObjectStore local;
    private transient ObjectStore gcs;
    private transient ObjectFetcher gcsFetcher;
    private transient Counter fetched;
    private transient Counter bytes;
    private transient Counter retries;
    private transient Map<DeadLetterReason, Counter> failures;

    /**
     * @param localRoot directory that names of {@code local} references are relative to
     * @param config    how {@code gcs} references are read
     */
    public FetchFunction(String localRoot, GcsConfig config, long maxBytes) {
        this.localRoot = localRoot;
        this.config = config;
        this.maxBytes = maxBytes;
    }

    /**
     * The async operator's own timeout, a safety net: the retry budget ends each object's attempts
     * before it (the last attempt starts at most one backoff after the budget and then ends at once).
     */
    public static Duration operatorTimeout(GcsConfig config) {
        return config.retryBudget().plus(config.maxBackoff()).plus(config.fetchTimeout()).plusSeconds(30);
    }

    /** How the async operator retries: {@link FetchResult#retryPending()} results, with backoff. */
    public static FetchRetryStrategy retryStrategy(GcsConfig config) {
        return new FetchRetryStrategy(config.initialBackoff(), config.maxBackoff());
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup(GROUP);
        fetched = group.counter(FETCHED, new ThreadSafeSimpleCounter());
        bytes = group.counter(BYTES, new ThreadSafeSimpleCounter());
        retries = group.counter(RETRIES, new ThreadSafeSimpleCounter());
        failures = new EnumMap<>(DeadLetterReason.class);
        for (DeadLetterReason reason : REASONS) {
            failures.put(reason, group.counter(reason.code(), new ThreadSafeSimpleCounter()));
        }
        local = new LocalFileStore(localRoot, maxBytes);
    }

    @Override
    public void asyncInvoke(ObjectRef ref, ResultFuture<FetchResult> resultFuture) {
        if (ObjectRef.SOURCE_LOCAL.equals(ref.origin())) {
            // Completed at once: local failures are final, nothing to retry.
            local.read(ref, config.fetchTimeout()).whenComplete((bytes, error) -> complete(bytes != null
                    ? FetchResult.success(ref, bytes) : FetchResult.failure(ref, deadLetter(ref, error)), resultFuture));
            return;
        }
        gcsFetcher().attempt(ref).whenComplete((result, error) -> {
            if (error != null) {
                // A permission error (or a bug): fails the job with this message, never a dead letter.
                resultFuture.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            } else if (result != null) {
                complete(result, resultFuture);
            }
        });
    }

    @Override
    public void timeout(ObjectRef ref, ResultFuture<FetchResult> resultFuture) {
        complete(ObjectRef.SOURCE_LOCAL.equals(ref.origin()) || gcsFetcher == null
                ? FetchResult.failure(ref, DeadLetter.of(ref, DeadLetterReason.FETCH_TIMEOUT,
                        "no result within " + operatorTimeout(config), ObjectFetcher.STAGE, true))
                : gcsFetcher.giveUp(ref), resultFuture);
    }

    private static DeadLetter deadLetter(ObjectRef ref, Throwable error) {
        return error instanceof FetchException f ? DeadLetter.of(ref, f.reason(), f.getMessage(), ObjectFetcher.STAGE)
                : DeadLetter.of(ref, DeadLetterReason.FETCH_ERROR, String.valueOf(error), ObjectFetcher.STAGE);
    }

    /** Created on the task thread at the first {@code gcs} reference. */
    private ObjectFetcher gcsFetcher() {
        if (gcsFetcher == null) {
            gcs = GcsObjectStore.open(config, maxBytes);
            gcsFetcher = new ObjectFetcher(gcs, config.fetchTimeout(), config.retryBudget(), System::nanoTime,
                    (ref, attempt, cause) -> retries.inc());
        }
        return gcsFetcher;
    }

    private void complete(FetchResult r, ResultFuture<FetchResult> resultFuture) {
        if (!r.failed()) {
            fetched.inc();
            bytes.inc(r.bytes().length);
        } else if (!r.retryPending()) {
            Counter c = failures.get(reasonOf(r.failure()));
            if (c != null) {
                c.inc();
            }
        }
        resultFuture.complete(List.of(r));
    }

    private static DeadLetterReason reasonOf(DeadLetter d) {
        for (DeadLetterReason reason : REASONS) {
            if (reason.code().equals(d.reason())) {
                return reason;
            }
        }
        return DeadLetterReason.FETCH_ERROR;
    }

    @Override
    public void close() throws Exception {
        if (gcs != null) {
            gcs.close();
        }
    }
}
