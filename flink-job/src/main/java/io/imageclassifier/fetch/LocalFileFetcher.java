package io.imageclassifier.fetch;

import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.record.DeadLetterReason;
import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Reads a local file's bytes for local mode. The size limit is checked from the file's metadata
 * before reading, so an oversized file is never loaded.
 */
public final class LocalFileFetcher extends RichMapFunction<ObjectRef, FetchResult> {
    private static final long serialVersionUID = 1L;
    static final String STAGE = "fetch";

    private final String inputDir;
    private final long maxBytes;

    public LocalFileFetcher(String inputDir, long maxBytes) {
        this.inputDir = inputDir;
        this.maxBytes = maxBytes;
    }

    @Override
    public FetchResult map(ObjectRef ref) {
        Path file = Path.of(inputDir).resolve(ref.name());
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
