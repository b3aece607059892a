package io.imageclassifier.config;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a local path really is: absolute, normalised, symbolic links of its existing part resolved. */
final class LocalPaths {

    private LocalPaths() {}

    /** Whether {@code location} is a local path ({@code /x}, {@code x}, {@code file:/x}), not {@code gs://} or the like. */
    static boolean isLocal(String location) {
        return location.startsWith("file:") || !location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
    }

    /** The real location of a local path, which need not exist yet. */
    static Path real(String location) {
        Path path = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
        path = path.toAbsolutePath().normalize();
        Path existing = path;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return path;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(path)).normalize();
        } catch (IOException e) {
            return path; // unreadable ancestor: compare the path as written
        }
    }

    /** Whether local {@code inner} is {@code outer} or below it. */
    static boolean isInside(String inner, String outer) {
        return isLocal(inner) && isLocal(outer) && real(inner).startsWith(real(outer));
    }
}
