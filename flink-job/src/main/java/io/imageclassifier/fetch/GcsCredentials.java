package io.imageclassifier.fetch;

import com.google.auth.Credentials;
import com.google.auth.RequestMetadataCallback;
import com.google.auth.ServiceAccountSigner;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.UserCredentials;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The job's identity towards Cloud Storage: request headers (an OAuth token from Application
 * Default Credentials, refreshed off the caller's thread), and who that is, for permission errors.
 * Against an emulator: no credentials.
 */
final class GcsCredentials implements AutoCloseable {
    static final String READ_ONLY_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only";

    private final Credentials credentials;
    private final ExecutorService refresher;

    GcsCredentials(Credentials credentials) {
        this.credentials = credentials;
        this.refresher = credentials == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gcs-token-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    /** No credentials: for emulators. */
    static GcsCredentials none() {
        return new GcsCredentials(null);
    }

    /** Application Default Credentials (a workload identity, GOOGLE_APPLICATION_CREDENTIALS, ...). */
    static GcsCredentials applicationDefault() throws IOException {
        return new GcsCredentials(GoogleCredentials.getApplicationDefault().createScoped(READ_ONLY_SCOPE));
    }

    /** Headers for a request to {@code uri}; completes at once while the cached token is fresh. */
    CompletableFuture<Map<String, List<String>>> headers(URI uri) {
        CompletableFuture<Map<String, List<String>>> headers = new CompletableFuture<>();
        if (credentials == null) {
            headers.complete(Map.of());
            return headers;
        }
        credentials.getRequestMetadata(uri, refresher, new RequestMetadataCallback() {
            @Override
            public void onSuccess(Map<String, List<String>> metadata) {
                headers.complete(metadata);
            }

            @Override
            public void onFailure(Throwable error) {
                headers.completeExceptionally(error);
            }
        });
        return headers;
    }

    /** Who the job is, as far as the credentials tell (a service account's e-mail where known). */
    String principal() {
        return describe(credentials);
    }

    static String describe(Credentials credentials) {
        if (credentials == null) {
            return "no credentials (emulator endpoint)";
        }
        if (credentials instanceof ServiceAccountSigner signer) {
            try {
                return "serviceAccount:" + signer.getAccount();
            } catch (RuntimeException e) {
                return "a " + credentials.getClass().getSimpleName() + " whose account could not be read ("
                        + e.getMessage() + ")";
            }
        }
        if (credentials instanceof UserCredentials user) {
            return "user credentials of OAuth client " + user.getClientId();
        }
        return "the Application Default Credentials (" + credentials.getClass().getSimpleName() + ")";
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
