package io.imageclassifier.fetch;

import io.imageclassifier.record.ObjectRef;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Where objects are read from: the local file system or Cloud Storage, chosen by the reference's
 * {@link ObjectRef#source() source}. One call reads exactly the version the reference names.
 */
public interface ObjectStore extends AutoCloseable {

    /**
     * Reads the object version {@code ref} names, within {@code timeout}. Never throws: the future
     * fails with a {@link FetchException} (retryable or final for this object), or with a
     * {@link StoragePermissionException} (the job may not read the store at all). Cancelling the
     * future abandons the read.
     */
    CompletableFuture<byte[]> read(ObjectRef ref, Duration timeout);

    @Override
    void close();
}
