package io.imageclassifier.fetch;

import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.config.GcsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Lets the classifier load models, sidecars and labels from {@code gs://}: each object is copied
 * once into a local cache keyed by its generation, so all slots of a TaskManager (and restarts of
 * the job in it) share one download, and a new upload of the model is picked up on the next start.
 */
public final class GcsModelFetcher implements ModelFetcher {
    private final GcsConfig config;
    private final Path cacheDir;

    public GcsModelFetcher(GcsConfig config, Path cacheDir) {
        this.config = config;
        this.cacheDir = cacheDir;
    }

    /** Local paths as they are, {@code gs://} through a cache under {@code java.io.tmpdir}. */
    public static ModelFetcher withLocalFallback(GcsConfig config) {
        Path cache = Path.of(System.getProperty("java.io.tmpdir"), "image-classifier-models");
        return ModelFetcher.byScheme(Map.of("gs", new GcsModelFetcher(config, cache)));
    }

    @Override
    public Path fetch(String location) throws IOException {
        return GcsObjects.localCopy(config, location, cacheDir);
    }
}
