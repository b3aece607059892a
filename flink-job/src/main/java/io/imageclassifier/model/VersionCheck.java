package io.imageclassifier.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.classify.ClassificationResult;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.classify.ImageRejectedException;
import io.imageclassifier.classify.LoadedModel;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.ModelLoadException;
import io.imageclassifier.record.TopKEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Smoke inference a model version must pass before it classifies anything (loading has already
 * checked the sidecar, the I/O contract and the labels count):
 *
 * <ul>
 *   <li>a generated image goes through decode, preprocessing and the model, and every score that
 *       comes out is a finite probability (catches models that fail or return NaN at run time);
 *   <li>when the version folder holds {@code smoke-test.json}, each known image it lists gets the
 *       label it names as top-1, with at least its {@code min_score}:
 *       <pre>{"images": [{"image": "coffee.png", "label": "espresso", "min_score": 0.5}]}</pre>
 *       Image paths are relative to the version folder.
 * </ul>
 */
final class VersionCheck {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SIDE = 256;

    private VersionCheck() {}

    /**
     * @throws ModelLoadException naming the failed check
     * @throws IOException        when a listed image cannot be read (transient or not: the caller decides)
     */
    static void run(LoadedModel model, ModelConfig config, String smokeTestLocation, ModelFetcher fetcher)
            throws IOException {
        ImageClassifier classifier = ImageClassifier.on(model, config);
        try {
            requireFiniteScores(classifier.classify(generatedBmp()), "a generated image");
        } catch (ImageRejectedException e) {
            throw new ModelLoadException("smoke inference on a generated image failed: " + e.getMessage(), e);
        }
        Path listing;
        try {
            listing = fetcher.fetch(smokeTestLocation);
        } catch (NoSuchFileException e) {
            return;
        }
        JsonNode images = parse(listing, smokeTestLocation).get("images");
        if (images == null || !images.isArray()) {
            throw new ModelLoadException(smokeTestLocation + " must hold {\"images\": [{\"image\": ..., \"label\": ...}]}");
        }
        for (JsonNode entry : images) {
            checkKnownImage(classifier, entry, smokeTestLocation, fetcher);
        }
    }

    private static void checkKnownImage(ImageClassifier classifier, JsonNode entry, String listing, ModelFetcher fetcher)
            throws IOException {
        String image = entry.path("image").asText("");
        String label = entry.path("label").asText("");
        double minScore = entry.path("min_score").asDouble(0.0);
        if (image.isBlank() || label.isBlank()) {
            throw new ModelLoadException(listing + ": every entry needs \"image\" and \"label\", got " + entry);
        }
        byte[] bytes = Files.readAllBytes(fetcher.fetch(ModelFetcher.resolveSibling(listing, image)));
        ClassificationResult r;
        try {
            r = classifier.classify(bytes);
        } catch (ImageRejectedException e) {
            throw new ModelLoadException("smoke test image " + image + " was rejected: " + e.getMessage(), e);
        }
        requireFiniteScores(r, image);
        if (!r.label().equals(label) || r.score() < minScore) {
            throw new ModelLoadException(String.format(Locale.ROOT,
                    "smoke test image %s: expected '%s' with score >= %.3f, the model says '%s' (%.3f)",
                    image, label, minScore, r.label(), r.score()));
        }
    }

    private static void requireFiniteScores(ClassificationResult r, String what) throws ModelLoadException {
        boolean ok = Double.isFinite(r.score()) && r.score() >= 0 && r.score() <= 1.0 + 1e-6;
        for (TopKEntry e : r.topK()) {
            ok &= Double.isFinite(e.score()) && e.score() >= 0 && e.score() <= 1.0 + 1e-6;
        }
        if (!ok) {
            throw new ModelLoadException("smoke inference on " + what + " gave scores that are not probabilities "
                    + "(top score " + r.score() + ")");
        }
    }

    private static JsonNode parse(Path file, String location) throws ModelLoadException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(location + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * A 256x256 24-bit BMP with smooth colour gradients, written by hand: the JDK reads BMP, and
     * encoding through ImageIO's writers would touch its JVM-wide registry from a job thread.
     */
    static byte[] generatedBmp() {
        int rowBytes = (SIDE * 3 + 3) & ~3;
        int pixelBytes = rowBytes * SIDE;
        ByteBuffer b = ByteBuffer.allocate(54 + pixelBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54 + pixelBytes).putInt(0).putInt(54);
        b.putInt(40).putInt(SIDE).putInt(SIDE).putShort((short) 1).putShort((short) 24).putInt(0)
                .putInt(pixelBytes).putInt(2835).putInt(2835).putInt(0).putInt(0);
        for (int y = 0; y < SIDE; y++) { // bottom-up rows, BGR
            for (int x = 0; x < SIDE; x++) {
                b.put((byte) ((x + y) / 2)).put((byte) y).put((byte) x);
            }
            for (int pad = SIDE * 3; pad < rowBytes; pad++) {
                b.put((byte) 0);
            }
        }
        return b.array();
    }
}
