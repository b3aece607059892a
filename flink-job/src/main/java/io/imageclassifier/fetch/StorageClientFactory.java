package io.imageclassifier.fetch;

import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import io.imageclassifier.config.GcsConfig;
import java.io.Serializable;

/**
 * Builds a {@link Storage} client where it is used (on the task manager), from settings that travel
 * with the job graph, for whole-object downloads of models and labels ({@link GcsObjects}); images
 * are read by {@link GcsObjectStore}. Each call makes a new client: no static, shared client.
 */
@FunctionalInterface
public interface StorageClientFactory extends Serializable {

    Storage create();

    /**
     * The job's client: Application Default Credentials against the real service, or no credentials
     * against {@link GcsConfig#endpoint()} (an emulator), with the client's own retries of
     * transient errors.
     */
    static StorageClientFactory of(GcsConfig config) {
        return () -> {
            int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, config.fetchTimeout().toMillis());
            StorageOptions.Builder builder = StorageOptions.http()
                    .setTransportOptions(HttpTransportOptions.newBuilder()
                            .setConnectTimeout(timeoutMillis)
                            .setReadTimeout(timeoutMillis)
                            .build());
            if (config.projectId() != null) {
                builder.setProjectId(config.projectId());
            }
            if (config.emulator()) {
                builder.setHost(config.endpoint())
                        .setCredentials(NoCredentials.getInstance());
                if (config.projectId() == null) {
                    builder.setProjectId("emulator");
                }
            }
            return builder.build().getService();
        };
    }
}
