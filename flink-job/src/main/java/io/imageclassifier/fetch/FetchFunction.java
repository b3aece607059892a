package io.imageclassifier.fetch;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
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
 * on a pool of {@code fetchCapacity} threads per subtask (the same as the async operator's
 * capacity, so no request waits for a thread), whose client is created on first use, so local
 * mode never builds one. Failures become {@link FetchResult}s with a dead letter, never exceptions:
 * one unreadable object must not fail the job.
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
    private final StorageClientFactory clients;
    private final GcsConfig config;
    private final long maxBytes;

    private transient LocalFileStore local;
    private transient ObjectStore gcs;
    private transient ObjectFetcher gcsFetcher;
    private transient ExecutorService pool;
    private transient Counter fetched;
    private transient Counter bytes;
    private transient Counter retries;
    private transient Map<DeadLetterReason, Counter> failures;

    /**
     * @param localRoot directory that names of {@code local} references are relative to
     * @param clients   Cloud Storage client for {@code gcs} references
     */
    public FetchFunction(String localRoot, StorageClientFactory clients, GcsConfig config, long maxBytes) {
        this.localRoot = localRoot;
        this.clients = clients;
        this.config = config;
        this.maxBytes = maxBytes;
    }

    /** The async operator's own timeout: the fetch's deadline plus a margin, so the fetch's wins. */
    public static Duration operatorTimeout(GcsConfig config) {
        return config.fetchTimeout().plusSeconds(10);
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
        if (ObjectRef.SOURCE_LOCAL.equals(ref.source())) {
            complete(local.read(ref), resultFuture);
            return;
        }
        ObjectFetcher fetcher = gcsFetcher();
        CompletableFuture.supplyAsync(() -> fetcher.fetch(ref), pool).whenComplete((result, error) ->
                complete(error == null ? result : FetchResult.failure(ref, DeadLetter.of(ref,
                        DeadLetterReason.FETCH_ERROR, String.valueOf(error), ObjectFetcher.STAGE)), resultFuture));
    }

    @Override
    public void timeout(ObjectRef ref, ResultFuture<FetchResult> resultFuture) {
        complete(FetchResult.failure(ref, DeadLetter.of(ref, DeadLetterReason.FETCH_TIMEOUT,
                "no result within " + operatorTimeout(config), ObjectFetcher.STAGE)), resultFuture);
    }

    /** Created on the task thread at the first {@code gcs} reference. */
    private ObjectFetcher gcsFetcher() {
        if (gcsFetcher == null) {
            gcs = new GcsObjectStore(clients.create());
            gcsFetcher = new ObjectFetcher(gcs, maxBytes, config.fetchRetries(), config.initialBackoff(),
                    config.fetchTimeout(), d -> Thread.sleep(d.toMillis()), System::nanoTime,
                    (ref, attempt, cause) -> retries.inc());
            pool = Executors.newFixedThreadPool(config.fetchCapacity(), daemonThreads(
                    "gcs-fetch-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()));
        }
        return gcsFetcher;
    }

    private void complete(FetchResult r, ResultFuture<FetchResult> resultFuture) {
        if (!r.failed()) {
            fetched.inc();
            bytes.inc(r.bytes().length);
        } else {
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
        if (pool != null) {
            pool.shutdownNow();
        }
        if (gcs != null) {
            gcs.close();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
