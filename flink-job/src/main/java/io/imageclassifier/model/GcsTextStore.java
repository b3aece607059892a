package io.imageclassifier.model;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.fetch.GcsUri;
import io.imageclassifier.fetch.StorageClientFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.util.Optional;

/** {@link TextStore} on Cloud Storage; one client per store, made on first use. */
final class GcsTextStore implements TextStore {

    private final GcsConfig config;
    private Storage storage;

    GcsTextStore(GcsConfig config) {
        this.config = config;
    }

    @Override
    public synchronized Optional<String> read(String location) throws IOException {
        GcsUri uri = GcsUri.parse(location);
        try {
            Blob blob = storage().get(BlobId.of(uri.bucket(), uri.object()));
            return blob == null ? Optional.empty() : Optional.of(new String(blob.getContent(), StandardCharsets.UTF_8));
        } catch (StorageException e) {
            if (e.getCode() == 404) { // deleted between the lookup and the read
                return Optional.empty();
            }
            throw translate(location, "read", e);
        }
    }

    @Override
    public synchronized void write(String location, String text) throws IOException {
        GcsUri uri = GcsUri.parse(location);
        try {
            storage().create(BlobInfo.newBuilder(uri.bucket(), uri.object()).setContentType("text/plain; charset=utf-8")
                    .build(), text.getBytes(StandardCharsets.UTF_8));
        } catch (StorageException e) {
            throw translate(location, "write", e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (storage != null) {
            try {
                storage.close();
            } catch (Exception e) {
                throw new IOException("closing the Storage client", e);
            } finally {
                storage = null;
            }
        }
    }

    private Storage storage() {
        if (storage == null) {
            storage = StorageClientFactory.of(config).create();
        }
        return storage;
    }

    private static IOException translate(String location, String action, StorageException e) {
        if (e.getCode() == 401 || e.getCode() == 403) {
            return new AccessDeniedException(location, null, "the job may not " + action + " it: " + e.getMessage());
        }
        return new IOException("cannot " + action + " " + location + ": " + e.getMessage(), e);
    }
}
