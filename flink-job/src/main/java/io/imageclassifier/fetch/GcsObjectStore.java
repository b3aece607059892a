package io.imageclassifier.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads objects from Cloud Storage with one request each: a media download of exactly the
 * generation the notification names ({@code GET /download/storage/v1/b/B/o/O?alt=media&generation=G}),
 * no metadata request first. The size limit is checked from the notification's size (an object
 * announced too large is never requested), then from the response's Content-Length, then while the
 * body streams, so an oversized object is never read to its end.
 *
 * <p>Why the JDK's {@link HttpClient} and not the {@code google-cloud-storage} client: a read here
 * must be cancellable (a deadline that holds for the whole download, not per socket read, and an
 * attempt abandoned when its retry budget ends must stop), which the blocking client cannot do;
 * the JDK client is asynchronous (no thread per download), cancellable, and reuses connections
 * (HTTP/2 to {@code storage.googleapis.com}, a keep-alive pool to an emulator).
 *
 * <p>Failures complete the future with a {@link FetchException} (retryable: 408, 429, 5xx,
 * connection errors, timeouts; final: 404, other 4xx, too large) or a
 * {@link StoragePermissionException} (401, 403: fails the job).
 */
public final class GcsObjectStore implements ObjectStore {

    static final String DEFAULT_ENDPOINT = "https://storage.googleapis.com";
    private static final int ERROR_BODY_LIMIT = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String endpoint;
    private final GcsCredentials credentials;
    private final long maxBytes;
    private final ScheduledThreadPoolExecutor deadlines;

    GcsObjectStore(String endpoint, GcsCredentials credentials, long maxBytes, Duration connectTimeout) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.credentials = credentials;
        this.maxBytes = maxBytes;
        this.http = HttpClient.newBuilder()
                // Plain http is an emulator: HTTP/1.1, no h2c upgrade dance.
                .version(this.endpoint.startsWith("https:") ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gcs-fetch-deadlines");
            t.setDaemon(true);
            return t;
        });
        deadlines.setRemoveOnCancelPolicy(true);
    }

    /** The store for the job's settings: the emulator without credentials, else the real service with ADC. */
    public static GcsObjectStore open(GcsConfig config, long maxBytes) {
        try {
            return config.emulator()
                    ? new GcsObjectStore(config.endpoint(), GcsCredentials.none(), maxBytes, config.fetchTimeout())
                    : new GcsObjectStore(DEFAULT_ENDPOINT, GcsCredentials.applicationDefault(), maxBytes,
                            config.fetchTimeout());
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
        // The deadline covers everything, token included; completing the result (deadline, cancel by
        // the caller, or an answer) cancels the exchange, which closes its connection if still open.
        AtomicReference<CompletableFuture<?>> exchange = new AtomicReference<>();
        ScheduledFuture<?> deadline = deadlines.schedule(() -> result.completeExceptionally(new FetchException(
                DeadLetterReason.FETCH_TIMEOUT, true, "no complete answer within " + timeout + " (--fetch-timeout)")),
                timeout.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((bytes, error) -> {
            deadline.cancel(false);
            CompletableFuture<?> running = exchange.get();
            if (running != null) {
                running.cancel(true);
            }
        });
        credentials.headers(uri).whenComplete((headers, error) -> {
            if (error != null) {
                result.completeExceptionally(new FetchException(DeadLetterReason.FETCH_ERROR, true,
                        "could not get an access token: " + error));
                return;
            }
            send(uri, headers, ref, generation, result, exchange);
        });
        return result;
    }

    private void send(URI uri, Map<String, List<String>> headers, ObjectRef ref, long generation,
            CompletableFuture<byte[]> result, AtomicReference<CompletableFuture<?>> exchange) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().header("User-Agent", "image-classifier");
        headers.forEach((name, values) -> values.forEach(v -> request.header(name, v)));
        CompletableFuture<HttpResponse<byte[]>> running = http.sendAsync(request.build(), info -> info.statusCode() == 200
                ? new LimitedBody(maxBytes, info.headers().firstValueAsLong("Content-Length").orElse(-1), true)
                : new LimitedBody(ERROR_BODY_LIMIT, -1, false));
        exchange.set(running);
        if (result.isDone()) {
            running.cancel(true);
            return;
        }
        running.whenComplete((response, error) -> {
            if (error != null) {
                result.completeExceptionally(translate(error, ref));
            } else if (response.statusCode() == 200) {
                result.complete(response.body());
            } else {
                result.completeExceptionally(failure(response.statusCode(), serviceMessage(response.body()), ref,
                        generation));
            }
        });
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

    private static Throwable translate(Throwable error, ObjectRef ref) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof CancellationException) {
            return e;
        }
        if (e instanceof LimitedBody.TooLarge) {
            return new FetchException(DeadLetterReason.TOO_LARGE, false, e.getMessage());
        }
        if (e instanceof HttpTimeoutException) {
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

    @Override
    public void close() {
        deadlines.shutdownNow();
        credentials.close();
    }
}
