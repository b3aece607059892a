package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads local files for {@link ObjectRef}s of source {@code local} (name = path relative to the
 * input directory). The size limit is checked from the file's metadata before reading, so an
 * oversized file is never loaded. Blocking, and meant to be: a local read is cheaper than handing
 * it to another thread.
 */
final class LocalFileStore {
    static final String STAGE = "fetch";

    private final Path root;
    private final long maxBytes;

    LocalFileStore(String root, long maxBytes) {
        this.root = Path.of(root);
        this.maxBytes = maxBytes;
    }

    FetchResult read(ObjectRef ref) {
        Path file = root.resolve(ref.name());
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                return fail(ref, DeadLetterReason.TOO_LARGE,
                        "file is " + size + " bytes, limit is " + maxBytes + " (--max-image-bytes)");
            }
            return FetchResult.success(ref, Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return fail(ref, DeadLetterReason.NOT_FOUND, "file disappeared before it was read: " + file);
        } catch (IOException e) {
            return fail(ref, DeadLetterReason.FETCH_ERROR, "cannot read " + file + ": " + e);
        }
    }

    private static FetchResult fail(ObjectRef ref, DeadLetterReason reason, String message) {
        return FetchResult.failure(ref, DeadLetter.of(ref, reason, message, STAGE));
    }
}
