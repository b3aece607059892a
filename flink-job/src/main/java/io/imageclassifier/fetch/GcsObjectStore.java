package io.imageclassifier.fetch;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;

/** {@link ObjectStore} on the {@code google-cloud-storage} client; always addresses one generation. */
public final class GcsObjectStore implements ObjectStore {

    private final Storage storage;

    public GcsObjectStore(Storage storage) {
        this.storage = storage;
    }

    @Override
    public ObjectMeta stat(String bucket, String name, long generation) throws ObjectStoreException {
        try {
            Blob blob = storage.get(BlobId.of(bucket, name, generation));
            if (blob == null) {
                return null;
            }
            return new ObjectMeta(blob.getSize() == null ? -1 : blob.getSize(), blob.getContentType());
        } catch (StorageException e) {
            throw translate(e);
        }
    }

    @Override
    public byte[] read(String bucket, String name, long generation) throws ObjectStoreException {
        try {
            return storage.readAllBytes(BlobId.of(bucket, name, generation));
        } catch (StorageException e) {
            throw translate(e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            storage.close();
        } catch (Exception e) {
            throw new IOException("closing the Storage client", e);
        }
    }

    static ObjectStoreException translate(StorageException e) {
        boolean timeout = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof InterruptedIOException) {
                timeout = true;
            }
        }
        return new ObjectStoreException(Math.max(0, e.getCode()), timeout, e.getMessage(), e);
    }
}
