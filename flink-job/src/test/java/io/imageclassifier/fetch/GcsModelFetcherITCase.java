package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.classify.ClassificationResult;
import io.imageclassifier.classify.ImageClassifier;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Models, sidecars and labels on gs:// (fake-gcs-server), loaded once into a local cache. */
class GcsModelFetcherITCase {

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    private static final String BUCKET = "models";

    @TempDir Path cache;

    @BeforeAll
    static void uploadModels() throws Exception {
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(BUCKET));
            put(storage, "plain/mobilenet.onnx", Files.readAllBytes(SharedData.model()));
            put(storage, "plain/labels.txt", Files.readAllBytes(SharedData.labels()));
            // The same model with a sidecar that names it and points at its labels, relative to itself.
            put(storage, "with-sidecar/model.onnx", Files.readAllBytes(SharedData.model()));
            put(storage, "with-sidecar/model.onnx.json",
                    "{\"model_name\": \"mobilenet-from-gcs\", \"labels\": \"classes.txt\"}".getBytes(StandardCharsets.UTF_8));
            put(storage, "with-sidecar/classes.txt", Files.readAllBytes(SharedData.labels()));
        }
    }

    private static void put(Storage storage, String name, byte[] bytes) {
        storage.create(BlobInfo.newBuilder(BUCKET, name).build(), bytes);
    }

    private ModelFetcher fetcher() {
        GcsConfig gcs = new GcsConfig(EMULATORS.gcsEndpoint(), null, 4, Duration.ofSeconds(30), Duration.ofMinutes(1),
                Duration.ofMillis(100), Duration.ofSeconds(1));
        return ModelFetcher.byScheme(Map.of("gs", new GcsModelFetcher(gcs, cache)));
    }

    private static byte[] coffee() throws Exception {
        return Files.readAllBytes(SharedData.photo("coffee.png"));
    }

    @Test
    void modelAndLabelsFromGcsClassifyLikeTheLocalModel() throws Exception {
        ModelConfig config = ModelConfig.of("gs://models/plain/mobilenet.onnx", null).withLabels("gs://models/plain/labels.txt");
        SharedModelRegistry registry = new SharedModelRegistry();
        try (ImageClassifier first = ImageClassifier.open(config, fetcher(), registry);
                ImageClassifier second = ImageClassifier.open(config, fetcher(), registry)) {
            ClassificationResult result = first.classify(coffee());
            assertThat(result.label()).isEqualTo("espresso");
            assertThat(result.modelName()).isEqualTo("mobilenet");
            assertThat(second.model()).isSameAs(first.model());
        }
        // One download per object: the model and the labels (the absent sidecar is only probed).
        try (Stream<Path> files = Files.list(cache)) {
            assertThat(files.filter(p -> !p.getFileName().toString().startsWith(".")).count()).isEqualTo(2);
        }
    }

    @Test
    void aSidecarOnGcsNamesTheModelAndItsLabels() throws Exception {
        ModelConfig config = ModelConfig.of("gs://models/with-sidecar/model.onnx", null);
        try (ImageClassifier classifier = ImageClassifier.open(config, fetcher(), new SharedModelRegistry())) {
            ClassificationResult result = classifier.classify(coffee());
            assertThat(result.modelName()).isEqualTo("mobilenet-from-gcs");
            assertThat(result.label()).isEqualTo("espresso");
        }
    }

    @Test
    void aMissingModelFailsNamingIt() {
        ModelConfig config = ModelConfig.of("gs://models/nope/model.onnx", null).withLabels("gs://models/plain/labels.txt");
        assertThatThrownBy(() -> ImageClassifier.open(config, fetcher(), new SharedModelRegistry()))
                .hasMessageContaining("gs://models/nope/model.onnx");
    }
}
