package io.imageclassifier.source.backfill.enumerator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequest;
import com.google.api.client.http.HttpRequestFactory;
import com.google.api.client.http.HttpResponse;
import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.StorageOptions;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.notification.ObjectResource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists a bucket with the JSON API's {@code objects.list} (live versions only, recursively, in
 * name order), with the credentials and endpoint of the job's Cloud Storage settings.
 *
 * <p>Why raw JSON rather than the client's {@code Blob}s: each item is the same object resource a
 * {@code JSON_API_V1} notification carries, and reading both with {@link ObjectResource} gives a
 * listed object exactly the reference a notification would (the client's {@code Blob} rounds the
 * times to milliseconds; the notification keeps microseconds).
 *
 * <p>Errors: 408, 429, 5xx and I/O errors are transient and retried with exponential backoff (from
 * {@code --fetch-initial-backoff}, doubling up to {@link #MAX_BACKOFF}) for as long as they last,
 * each logged: a GCS outage pauses the backfill but does not fail the job, whose live stream goes
 * on. Any other status (no such bucket, no permission) is permanent and thrown.
 */
public final class GcsBucketLister implements BucketLister {

    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Only what a reference needs (partial response: a tenth of a full item's bytes). */
    static final String FIELDS = "nextPageToken,items(bucket,name,generation,size,contentType,timeCreated,updated)";

    private static final Logger LOG = LoggerFactory.getLogger(GcsBucketLister.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpRequestFactory requests;
    private final String url;
    private final String bucket;
    private final String prefix;
    private final int pageSize;
    private final Duration initialBackoff;

    GcsBucketLister(HttpRequestFactory requests, String host, String bucket, String prefix, int pageSize,
            Duration initialBackoff) {
        this.requests = requests;
        this.url = host.replaceAll("/+$", "") + "/storage/v1/b/" + bucket + "/o";
        this.bucket = bucket;
        this.prefix = prefix;
        this.pageSize = pageSize;
        this.initialBackoff = initialBackoff.isZero() ? Duration.ofMillis(100) : initialBackoff;
    }

    /**
     * A factory for {@code gs://bucket/prefix}: Application Default Credentials against the real
     * service, none against {@link GcsConfig#endpoint()} (an emulator); the fetch's timeouts.
     */
    public static Factory factory(GcsConfig config, String bucket, String prefix, int pageSize) {
        return () -> {
            int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, config.fetchTimeout().toMillis());
            HttpTransportOptions transport = HttpTransportOptions.newBuilder()
                    .setConnectTimeout(timeoutMillis).setReadTimeout(timeoutMillis).build();
            StorageOptions.Builder builder = StorageOptions.http().setTransportOptions(transport);
            if (config.projectId() != null) {
                builder.setProjectId(config.projectId());
            }
            if (config.emulator()) {
                builder.setHost(config.endpoint()).setCredentials(NoCredentials.getInstance());
                if (config.projectId() == null) {
                    builder.setProjectId("emulator");
                }
            }
            StorageOptions options = builder.build();
            HttpRequestFactory requests = transport.getHttpTransportFactory().create()
                    .createRequestFactory(transport.getHttpRequestInitializer(options));
            return new GcsBucketLister(requests, options.getHost(), bucket, prefix, pageSize, config.initialBackoff());
        };
    }

    @Override
    public Page list(String pageToken) throws IOException {
        Duration backoff = initialBackoff;
        for (int attempt = 1; ; attempt++) {
            try {
                return request(pageToken);
            } catch (TransientException e) {
                LOG.warn("Listing gs://{}/{} (page {}) failed, attempt {}: {}; retrying in {} ms", bucket, prefix,
                        pageToken == null ? "1" : pageToken, attempt, e.getMessage(), backoff.toMillis());
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private Page request(String pageToken) throws IOException {
        GenericUrl target = new GenericUrl(url);
        target.set("maxResults", pageSize);
        target.set("fields", FIELDS);
        if (!prefix.isEmpty()) {
            target.set("prefix", prefix);
        }
        if (pageToken != null) {
            target.set("pageToken", pageToken);
        }
        HttpResponse response;
        try {
            HttpRequest request = requests.buildGetRequest(target).setThrowExceptionOnExecuteError(false);
            response = request.execute();
        } catch (InterruptedIOException e) {
            throw e; // closing
        } catch (IOException e) {
            throw new TransientException(e.toString(), e);
        }
        try {
            int status = response.getStatusCode();
            if (status / 100 != 2) {
                String message = "HTTP " + status + " " + snippet(response);
                if (status == 408 || status == 429 || status >= 500) {
                    throw new TransientException(message, null);
                }
                throw new IOException("listing gs://" + bucket + "/" + prefix + " failed: " + message);
            }
            JsonNode root;
            try {
                root = JSON.readTree(response.getContent());
            } catch (IOException e) {
                throw new TransientException("reading the response: " + e, e); // e.g. cut off mid-body
            }
            return parse(root, System.currentTimeMillis());
        } finally {
            response.disconnect();
        }
    }

    /** One response of {@code objects.list}; every item becomes a reference seen at {@code now}. */
    Page parse(JsonNode root, long now) throws IOException {
        List<ObjectRef> refs = new ArrayList<>();
        for (JsonNode item : root.path("items")) {
            String name = ObjectResource.text(item, "name");
            String generation = ObjectResource.text(item, "generation");
            if (name == null || generation == null || !generation.chars().allMatch(Character::isDigit)) {
                throw new IOException("listing gs://" + bucket + "/" + prefix + " returned an item without a name "
                        + "or a numeric generation: " + item);
            }
            String itemBucket = ObjectResource.text(item, "bucket");
            refs.add(ObjectResource.toRef(item, itemBucket == null ? bucket : itemBucket, name, generation, null, now));
        }
        String next = ObjectResource.text(root, "nextPageToken");
        return new Page(refs, next == null || next.isEmpty() ? null : next);
    }

    private static String snippet(HttpResponse response) {
        try {
            String body = new String(response.getContent().readNBytes(300), StandardCharsets.UTF_8);
            return body.replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static void sleep(Duration d) throws InterruptedIOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry the listing");
        }
    }

    @Override
    public void close() {}

    /** A failure worth trying again. */
    private static final class TransientException extends IOException {
        TransientException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
