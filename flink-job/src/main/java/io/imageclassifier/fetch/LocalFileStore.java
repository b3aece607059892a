package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Reads local files for {@link ObjectRef}s of source {@code local} (name = path relative to the
 * input directory). The size limit is checked from the file's metadata before reading, so an
 * oversized file is never loaded. Reads on the caller's thread and returns a completed future: a
 * local read costs less than a hand-over to another thread.
 */
final class LocalFileStore implements ObjectStore {

    private final Path root;
    private final long maxBytes;

    LocalFileStore(String root, long maxBytes) {
        this.root = Path.of(root);
        this.maxBytes = maxBytes;
    }

    @Override
    public CompletableFuture<byte[]> read(ObjectRef ref, Duration timeout) {
        Path file = root.resolve(ref.name());
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                return failed(DeadLetterReason.TOO_LARGE, false,
                        "file is " + size + " bytes, limit is " + maxBytes + " (--max-image-bytes)");
            }
            return CompletableFuture.completedFuture(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return failed(DeadLetterReason.NOT_FOUND, false, "file disappeared before it was read: " + file);
        } catch (AccessDeniedException e) {
            // One unreadable file, not a missing grant for the whole input: a dead letter, not a job failure.
            return failed(DeadLetterReason.FORBIDDEN, false, "no permission to read " + file);
        } catch (IOException e) {
            return failed(DeadLetterReason.FETCH_ERROR, true, "cannot read " + file + ": " + e);
        }
    }

    private static CompletableFuture<byte[]> failed(DeadLetterReason reason, boolean retryable, String message) {
        return CompletableFuture.failedFuture(new FetchException(reason, retryable, message));
    }

    @Override
    public void close() {}
}
