package io.imageclassifier.testing;

import io.imageclassifier.classify.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates the shared data (model, labels, photos, dev set): system property, env, or ../shared. */
public final class SharedData {
    private SharedData() {}

    public static Path dir() {
        String configured = System.getProperty("shared.dir", System.getenv("SHARED_DIR"));
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "..", "shared");
        if (!Files.isDirectory(dir.resolve("models"))) {
            throw new IllegalStateException("shared data not found at " + dir.toAbsolutePath()
                    + " (set -Dshared.dir or SHARED_DIR)");
        }
        return dir.toAbsolutePath().normalize();
    }

    public static Path model() {
        return dir().resolve("models/mobilenetv2-12-int8.onnx");
    }

    public static Path labels() {
        return dir().resolve("labels/imagenet_classes.txt");
    }

    /** The shared model with its labels, defaults for the rest. */
    public static ModelConfig modelConfig() {
        return ModelConfig.of(model().toString(), labels().toString());
    }

    public static Path photo(String name) {
        return dir().resolve("images/photos").resolve(name);
    }

    /** The labelled dev-set JPEGs, sorted by name. */
    public static List<Path> devImages() {
        try (Stream<Path> files = Files.list(dir().resolve("images/imagenet-dev"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".JPEG")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
