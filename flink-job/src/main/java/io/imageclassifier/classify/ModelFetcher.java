package io.imageclassifier.classify;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Makes a model, sidecar or labels location readable as a local file. The seam for remote model
 * stores: {@link #local()} handles paths and {@code file:} URIs; a {@code gs://} or
 * {@code https://} fetcher (downloading to a local cache) plugs in through {@link #byScheme}.
 */
@FunctionalInterface
public interface ModelFetcher {

    /**
     * A local, readable copy of {@code location}.
     *
     * @throws NoSuchFileException when the location does not exist (the optional sidecar relies on this)
     */
    Path fetch(String location) throws IOException;

    /** Local paths and {@code file:} URIs; other schemes fail naming the scheme. */
    static ModelFetcher local() {
        return location -> {
            String scheme = schemeOf(location);
            Path p;
            if (scheme == null) {
                p = Path.of(location);
            } else if (scheme.equals("file")) {
                p = Path.of(URI.create(location));
            } else {
                throw new IOException("no model fetcher for scheme '" + scheme + "' (location " + location + ")");
            }
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString());
            }
            return p;
        };
    }

    /** Dispatches on the location's URI scheme to {@code fetchers}, and to {@link #local()} for the rest. */
    static ModelFetcher byScheme(Map<String, ModelFetcher> fetchers) {
        Map<String, ModelFetcher> copy = Map.copyOf(fetchers);
        ModelFetcher local = local();
        return location -> {
            String scheme = schemeOf(location);
            ModelFetcher f = scheme == null ? null : copy.get(scheme);
            return (f != null ? f : local).fetch(location);
        };
    }

    /**
     * The lower-case URI scheme of {@code location} ({@code gs}, {@code https}, {@code file}), or
     * null for a plain path (including Windows drive letters).
     */
    static String schemeOf(String location) {
        int colon = location.indexOf(':');
        if (colon < 2) {
            return null;
        }
        String s = location.substring(0, colon);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.')) {
                return null;
            }
        }
        return s.toLowerCase(Locale.ROOT);
    }

    /**
     * {@code relative} resolved against the folder of {@code base} (a path or a URI); absolute
     * paths and locations with a scheme are returned as they are.
     */
    static String resolveSibling(String base, String relative) {
        if (schemeOf(relative) != null || relative.startsWith("/")) {
            return relative;
        }
        if (schemeOf(base) != null) {
            return base.substring(0, base.lastIndexOf('/') + 1) + relative;
        }
        return Path.of(base).resolveSibling(relative).toString();
    }
}
