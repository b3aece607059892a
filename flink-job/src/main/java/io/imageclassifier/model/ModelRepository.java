package io.imageclassifier.model;

import java.io.IOException;
import java.io.Serializable;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The layout of a model repository: a local folder or {@code gs://} prefix with one folder per
 * version, and small text objects that say which version does what.
 *
 * <pre>
 * REPO/CURRENT              the version every TaskManager runs (its name, one line)
 * REPO/CANDIDATE            optional: the version a canary compares against CURRENT
 * REPO/VERSION/model.onnx   the model; its sidecar model.json (preprocessing, labels) next to it
 * REPO/VERSION/labels.txt   the labels, unless the sidecar names another file
 * REPO/VERSION/smoke-test.json  optional: known images and the label each must get
 * REPO/VERSION/REJECTED     written by the canary judge (or a person): this version is no candidate
 * </pre>
 *
 * Versions are immutable: a changed model is a new folder. Rows name the folder in {@code model_version}.
 */
public record ModelRepository(String location) implements Serializable {

    public static final String CURRENT = "CURRENT";
    public static final String CANDIDATE = "CANDIDATE";
    public static final String REJECTED = "REJECTED";
    public static final String MODEL_FILE = "model.onnx";
    public static final String LABELS_FILE = "labels.txt";
    public static final String SMOKE_TEST_FILE = "smoke-test.json";

    /** A folder name: no slashes, no leading dot, nothing a shell or URL would mangle. */
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public ModelRepository {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("model repository location must be set");
        }
        while (location.length() > 1 && location.endsWith("/")) {
            location = location.substring(0, location.length() - 1);
        }
    }

    public String pointer(String name) {
        return location + "/" + name;
    }

    public String model(String version) {
        return file(version, MODEL_FILE);
    }

    public String labels(String version) {
        return file(version, LABELS_FILE);
    }

    public String smokeTest(String version) {
        return file(version, SMOKE_TEST_FILE);
    }

    public String rejectedMarker(String version) {
        return file(version, REJECTED);
    }

    /** A file in a version's folder. */
    public String file(String version, String name) {
        return location + "/" + requireVersion(version, "version") + "/" + name;
    }

    /**
     * The version a pointer ({@link #CURRENT}, {@link #CANDIDATE}) names, or empty when it does not
     * exist or is blank.
     *
     * @throws InvalidPointerException when its text is not a version name
     */
    public Optional<String> readPointer(TextStore store, String pointer) throws IOException {
        Optional<String> text = store.read(pointer(pointer));
        if (text.isEmpty() || text.get().isBlank()) {
            return Optional.empty();
        }
        String version = text.get().strip();
        if (!VERSION.matcher(version).matches()) {
            throw new InvalidPointerException(pointer(pointer) + " holds '" + abbreviate(version)
                    + "', not a version folder name (letters, digits, '.', '_', '-')");
        }
        return Optional.of(version);
    }

    /** Whether {@code version} carries a {@link #REJECTED} marker. */
    public boolean isRejected(TextStore store, String version) throws IOException {
        return store.read(rejectedMarker(version)).isPresent();
    }

    /** Checks that {@code version} can name a folder. */
    public static String requireVersion(String version, String what) {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException(what + " '" + version + "' is not a version folder name "
                    + "(letters, digits, '.', '_', '-')");
        }
        return version;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    @Override
    public String toString() {
        return location;
    }

    /** A pointer whose text is not a version name: the publisher's mistake, not a transient failure. */
    public static final class InvalidPointerException extends IOException {
        private static final long serialVersionUID = 1L;

        InvalidPointerException(String message) {
            super(message);
        }
    }
}
