package io.imageclassifier.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Model repositories for tests, built in temp folders from the shared MobileNetV2: versions differ
 * by their labels (same network, so the label text tells which version classified an image) or by
 * their sidecar. Never committed: every test builds its own.
 */
public final class ModelRepos {
    private ModelRepos() {}

    /** The ImageNet labels as they are. */
    public static final UnaryOperator<List<String>> SAME_LABELS = l -> l;

    /** The ImageNet labels in upper case: a version whose rows are recognisable by their labels. */
    public static final UnaryOperator<List<String>> UPPER_CASE_LABELS =
            l -> l.stream().map(s -> s.toUpperCase(Locale.ROOT)).toList();

    /** Every label moved to the next class index: a version that disagrees on every image. */
    public static final UnaryOperator<List<String>> SHIFTED_LABELS = l -> {
        List<String> out = new ArrayList<>(l.subList(1, l.size()));
        out.add(l.get(0));
        return out;
    };

    /** Adds version {@code name}: the shared model, labels.txt from {@code labels}, and a sidecar naming the model. */
    public static Path addVersion(Path repo, String name, UnaryOperator<List<String>> labels) {
        return addVersion(repo, name, labels, "{\"model_name\": \"mobilenet-" + name + "\"}");
    }

    /** Adds version {@code name} with the given sidecar JSON (null: none). */
    public static Path addVersion(Path repo, String name, UnaryOperator<List<String>> labels, String sidecar) {
        try {
            Path dir = Files.createDirectories(repo.resolve(name));
            Files.copy(SharedData.model(), dir.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
            Files.write(dir.resolve("labels.txt"), labels.apply(Files.readAllLines(SharedData.labels())));
            if (sidecar != null) {
                Files.writeString(dir.resolve("model.json"), sidecar);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Requires {@code image} (a shared photo, copied into the version) to be classified as {@code label}. */
    public static void smokeTest(Path repo, String version, String photo, String label) {
        try {
            Files.copy(SharedData.photo(photo), repo.resolve(version).resolve(photo), StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(repo.resolve(version).resolve("smoke-test.json"),
                    "{\"images\": [{\"image\": \"" + photo + "\", \"label\": \"" + label + "\", \"min_score\": 0.5}]}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code pointer} (CURRENT, CANDIDATE) atomically, as a publisher should. */
    public static void point(Path repo, String pointer, String version) {
        write(repo.resolve(pointer), version + "\n");
    }

    /** Replaces a file atomically. */
    public static void write(Path file, String text) {
        try {
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text of a pointer or marker, stripped, or null when absent. */
    public static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
