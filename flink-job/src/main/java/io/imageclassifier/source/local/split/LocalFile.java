package io.imageclassifier.source.local.split;

import java.util.Objects;

/**
 * One file found under the watched directory: its name relative to that directory ('/'-separated),
 * its modification time and size (together its version: a file that changes is a new object, as a
 * new GCS generation is) and when the listing found it (the start of its latency).
 */
public record LocalFile(String name, long modifiedMillis, long size, long discoveredAtMillis) {
    public LocalFile {
        Objects.requireNonNull(name, "name");
    }

    /** The version stamp used in the dedupe key: {@code <mtime millis>-<size>}. */
    public String version() {
        return modifiedMillis + "-" + size;
    }

    /** Whether {@code other} is the same version of the same file (discovery time aside). */
    public boolean sameVersion(LocalFile other) {
        return other != null && name.equals(other.name) && modifiedMillis == other.modifiedMillis
                && size == other.size;
    }
}
