package io.imageclassifier.model;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.fetch.GcsUri;
import java.io.IOException;
import java.util.Optional;

/**
 * Reads and writes the small text objects of a model repository (its pointers and markers), on the
 * local file system or Cloud Storage. Reads are never cached: a pointer is read fresh every poll.
 */
public interface TextStore extends AutoCloseable {

    /** The object's text, or empty when it does not exist. */
    Optional<String> read(String location) throws IOException;

    /**
     * Replaces the object's text (readers see the old or the new text, never a mix).
     *
     * @throws java.nio.file.AccessDeniedException when the job may not write it
     */
    void write(String location, String text) throws IOException;

    @Override
    void close() throws IOException;

    /** The store for {@code location}: Cloud Storage for {@code gs://}, else the local file system. */
    static TextStore forLocation(String location, GcsConfig gcs) {
        return GcsUri.isGcs(location) ? new GcsTextStore(gcs) : new LocalTextStore();
    }
}
