package io.imageclassifier.classify;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared model, labels and images are: {@code shared.dir}, {@code SHARED_DIR}, or ../shared. */
final class SharedData {

    private SharedData() {}

    static Path dir() {
        String p = System.getProperty("shared.dir");
        if (p == null || p.isBlank()) {
            p = System.getenv("SHARED_DIR");
        }
        Path dir = p == null || p.isBlank() ? Path.of("..", "shared") : Path.of(p);
        if (!Files.isDirectory(dir) && Files.isDirectory(Path.of("..", "..", "shared"))) {
            dir = Path.of("..", "..", "shared"); // run from the module folder
        }
        return dir.toAbsolutePath().normalize();
    }

    static Path model() {
        return dir().resolve("models/mobilenetv2-12-int8.onnx");
    }

    static Path labels() {
        return dir().resolve("labels/imagenet_classes.txt");
    }

    static ModelConfig config() {
        return ModelConfig.of(model().toString(), labels().toString());
    }
}
