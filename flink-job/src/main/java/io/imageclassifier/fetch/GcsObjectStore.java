package io.imageclassifier.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads objects from Cloud Storage with one request each: a media download of exactly the
 * generation the notification names ({@code GET /download/storage/v1/b/B/o/O?alt=media&generation=G}),
 * no metadata request first. The size limit is checked from the notification's size (an object
 * announced too large is never requested), then from the response's Content-Length, then while the
 * body streams, so an oversized object is never read to its end.
 *
 * <p>Transport: the JDK's {@link HttpURLConnection} (HTTP/1.1, keep-alive; what Google's own Java
 * storage client uses) on a pool of {@code threads} download threads, one per in-flight request (the
 * async operator's capacity). Each attempt has a deadline for the whole answer, not per socket
 * read: past it, or when the caller gives the attempt up, the attempt fails at once and its
 * connection is closed; a thread blocked in a stalled body read (which {@code disconnect()} cannot
 * interrupt) is freed by its socket read timeout, set to what was left of the deadline. Measured against the JDK's asynchronous {@code HttpClient} on 2 cores
 * (scripts/bench-cloud.sh, docs/benchmarks.md): about half the CPU per download and far less code
 * for the JIT to compile, and no thread started per response (the asynchronous client hands every
 * response to the CompletableFuture default executor, which below 3 CPUs is a new thread per task).
 * Keep-alive keeps at most {@code http.maxConnections} idle connections per host (JDK default 5):
 * the shipped JVM options raise it to 64 so that connections, TLS ones above all, are reused by
 * all download threads rather than re-opened.
 *
 * <p>Failures complete the future with a {@link FetchException} (retryable: 408, 429, 5xx,
 * connection errors, timeouts; final: 404, other 4xx, too large) or a
 * {@link StoragePermissionException} (401, 403: fails the job).
 */
public final class GcsObjectStore implements ObjectStore {

    static final String DEFAULT_ENDPOINT = "https://storage.googleapis.com";
    private static final int ERROR_BODY_LIMIT = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String endpoint;
    private final GcsCredentials credentials;
    private final long maxBytes;
    private final int connectTimeoutMillis;
    private final ThreadPoolExecutor downloads;
    private final ScheduledThreadPoolExecutor deadlines;
    /** Downloads on a thread now: closing the store ends their attempts. */
    private final Set<Download> running = ConcurrentHashMap.newKeySet();
    private final ExecutorService closer = Executors.newCachedThreadPool(r -> daemon(r, "gcs-fetch-closer"));
    /**
     * No proxy unless the JVM names one: skips the proxy selector's URI parsing on every request
     * (null: let the JVM's ProxySelector choose).
     */
    private final Proxy proxy = System.getProperty("https.proxyHost") == null
            && System.getProperty("http.proxyHost") == null && System.getProperty("socksProxyHost") == null
            ? Proxy.NO_PROXY : null;

    /** @param threads concurrent downloads (more requests wait for a thread) */
    GcsObjectStore(String endpoint, GcsCredentials credentials, long maxBytes, Duration connectTimeout, int threads) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.credentials = credentials;
        this.maxBytes = maxBytes;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        AtomicInteger n = new AtomicInteger();
        this.downloads = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, "gcs-fetch-" + n.incrementAndGet()));
        downloads.allowCoreThreadTimeOut(true);
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "gcs-fetch-deadlines"));
        deadlines.setRemoveOnCancelPolicy(true);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The store for the job's settings: the emulator without credentials, else the real service with ADC. */
    public static GcsObjectStore open(GcsConfig config, long maxBytes) {
        try {
            return config.emulator()
                    ? new GcsObjectStore(config.endpoint(), GcsCredentials.none(), maxBytes, config.fetchTimeout(),
                            config.fetchCapacity())
                    : new GcsObjectStore(DEFAULT_ENDPOINT, GcsCredentials.applicationDefault(), maxBytes,
                            config.fetchTimeout(), config.fetchCapacity());
        } catch (IOException e) {
            throw new IllegalStateException("No Application Default Credentials to read Cloud Storage with: " + e.getMessage()
                    + " (on GKE: Workload Identity; elsewhere GOOGLE_APPLICATION_CREDENTIALS)", e);
        }
    }

    @Override
    public CompletableFuture<byte[]> read(ObjectRef ref, Duration timeout) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        if (ref.size() > maxBytes) {
            result.completeExceptionally(new FetchException(DeadLetterReason.TOO_LARGE, false,
                    "announced as " + ref.size() + " bytes, limit " + maxBytes + " (--max-image-bytes); not read"));
            return result;
        }
        long generation;
        try {
            generation = Long.parseLong(ref.version());
        } catch (NumberFormatException e) {
            result.completeExceptionally(new FetchException(DeadLetterReason.NOT_FOUND, false,
                    "generation is not a number: " + ref.version()));
            return result;
        }
        URI uri = URI.create(endpoint + "/download/storage/v1/b/" + encode(ref.bucket()) + "/o/" + encode(ref.name())
                + "?alt=media&generation=" + generation);
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        Download download = new Download(uri, ref, generation, deadlineNanos, result);
        // The deadline covers everything, waiting for a thread and the token included; completing the
        // result before the answer (deadline, cancel by the caller) has the closer thread close the
        // connection under a blocked download thread, or keeps a queued download from starting.
        ScheduledFuture<?> deadline = deadlines.schedule(() -> result.completeExceptionally(new FetchException(
                DeadLetterReason.FETCH_TIMEOUT, true, "no complete answer within " + timeout + " (--fetch-timeout)")),
                timeout.toNanos(), TimeUnit.NANOSECONDS);
        Future<?> task;
        try {
            task = downloads.submit(download);
        } catch (RejectedExecutionException e) {
            deadline.cancel(false);
            result.completeExceptionally(new FetchException(DeadLetterReason.FETCH_ERROR, true, "store closed"));
            return result;
        }
        result.whenComplete((bytes, error) -> {
            deadline.cancel(false);
            if (error != null) {
                task.cancel(false);
                download.abandon();
            }
        });
        return result;
    }

    /** One attempt, on a download thread. */
    private final class Download implements Runnable {
        private final URI uri;
        private final ObjectRef ref;
        private final long generation;
        private final long deadlineNanos;
        private final CompletableFuture<byte[]> result;
        private final AtomicReference<HttpURLConnection> connection = new AtomicReference<>();
        private volatile boolean abandoned;

        Download(URI uri, ObjectRef ref, long generation, long deadlineNanos, CompletableFuture<byte[]> result) {
            this.uri = uri;
            this.ref = ref;
            this.generation = generation;
            this.deadlineNanos = deadlineNanos;
            this.result = result;
        }

        @Override
        public void run() {
            if (result.isDone()) {
                return;
            }
            running.add(this);
            try {
                download();
            } finally {
                running.remove(this);
            }
        }

        private void download() {
            HttpURLConnection c = null;
            try {
                Map<String, List<String>> headers;
                try {
                    headers = credentials.headers(uri).get(millisLeft(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    result.completeExceptionally(new FetchException(DeadLetterReason.FETCH_ERROR, true,
                            "could not get an access token: " + (e.getCause() != null ? e.getCause() : e)));
                    return;
                }
                c = (HttpURLConnection) (proxy == null ? uri.toURL().openConnection() : uri.toURL().openConnection(proxy));
                c.setConnectTimeout(connectTimeoutMillis);
                // Per socket read; the deadline above bounds the whole answer.
                c.setReadTimeout(millisLeft());
                c.setUseCaches(false);
                c.setInstanceFollowRedirects(false);
                c.setRequestProperty("User-Agent", "image-classifier");
                HttpURLConnection conn = c;
                headers.forEach((name, values) -> values.forEach(v -> conn.addRequestProperty(name, v)));
                connection.set(c);
                if (abandoned) {
                    return;
                }
                int status = c.getResponseCode();
                if (status == 200) {
                    try (InputStream in = c.getInputStream()) {
                        byte[] bytes = BoundedRead.read(in, maxBytes, c.getContentLengthLong(), true);
                        result.complete(bytes);
                    }
                } else {
                    InputStream err = c.getErrorStream();
                    byte[] body = new byte[0];
                    if (err != null) {
                        try (err) {
                            body = BoundedRead.read(err, ERROR_BODY_LIMIT, -1, false);
                        }
                    }
                    result.completeExceptionally(failure(status, serviceMessage(body), ref, generation));
                }
            } catch (BoundedRead.TooLarge e) {
                c.disconnect(); // never read an oversized body to its end
                result.completeExceptionally(new FetchException(DeadLetterReason.TOO_LARGE, false, e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.completeExceptionally(new FetchException(DeadLetterReason.FETCH_ERROR, true, "interrupted"));
            } catch (IOException | RuntimeException e) {
                if (c != null) {
                    c.disconnect();
                }
                // After the deadline or a cancel the result is already settled: this is the closed socket.
                result.completeExceptionally(translate(e, ref));
            }
        }

        private int millisLeft() {
            long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left));
        }

        /** Closes the connection under a blocked read, or keeps the request from being sent. */
        void abandon() {
            abandoned = true;
            HttpURLConnection c = connection.get();
            if (c != null) {
                // Never on the caller's thread (the deadline thread): while the download thread is
                // blocked reading the body, disconnect() waits for that read to return.
                try {
                    closer.execute(c::disconnect);
                } catch (RejectedExecutionException e) {
                    // closed: the download ends at its read timeout
                }
            }
        }
    }

    private Exception failure(int status, String message, ObjectRef ref, long generation) {
        String where = "gs://" + ref.bucket() + "/" + ref.name() + " generation " + generation;
        if (status == 401 || status == 403) {
            return new StoragePermissionException(StoragePermissionException.describe(status, ref.bucket(), ref.name(),
                    generation, credentials.principal(), message));
        }
        if (status == 404) {
            return new FetchException(DeadLetterReason.NOT_FOUND, false, where + " does not exist (HTTP 404)");
        }
        boolean transientStatus = status == 408 || status == 429 || status >= 500;
        return new FetchException(DeadLetterReason.FETCH_ERROR, transientStatus, "HTTP " + status + " reading " + where
                + ": " + message);
    }

    private static Throwable translate(Throwable e, ObjectRef ref) {
        if (e instanceof SocketTimeoutException) {
            return new FetchException(DeadLetterReason.FETCH_TIMEOUT, true, e.toString());
        }
        return new FetchException(DeadLetterReason.FETCH_ERROR, true, "reading gs://" + ref.bucket() + "/" + ref.name()
                + ": " + e);
    }

    /** The {@code error.message} of a JSON error body, else the body's text. */
    private static String serviceMessage(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            JsonNode message = JSON.readTree(text).path("error").path("message");
            if (message.isTextual()) {
                return message.asText();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the text itself
        }
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Ends every running attempt at once (retryable) and closes its connection; a download thread
     * blocked in a stalled read ends at its read timeout, no later than its attempt's deadline.
     */
    @Override
    public void close() {
        downloads.shutdownNow();
        running.forEach(d -> d.result.completeExceptionally(
                new FetchException(DeadLetterReason.FETCH_ERROR, true, "the Cloud Storage reader was closed")));
        closer.shutdown();
        deadlines.shutdownNow();
        credentials.close();
    }
}
