package io.imageclassifier.classify;

import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.TestImages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.imageclassifier.classify.ModelConfig.ExecutionProvider;
import io.imageclassifier.record.DeadLetterReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model loading, the I/O contract check and session sharing, with the shared MobileNetV2. */
class SharedModelRegistryTest {

    @TempDir
    Path dir;

    private final SharedModelRegistry registry = new SharedModelRegistry();

    @Test
    void twoAcquisitionsShareOneSessionUntilBothAreReleased() throws Exception {
        ModelConfig config = SharedData.modelConfig();
        SharedModelRegistry.Lease a = registry.acquire(config, ModelFetcher.local());
        SharedModelRegistry.Lease b = registry.acquire(config.withTopK(3), ModelFetcher.local());
        assertThat(b.model()).isSameAs(a.model());
        assertThat(b.model().session()).isSameAs(a.model().session());
        assertThat(registry.openSessions()).isEqualTo(1);
        LoadedModel model = a.model();

        a.close();
        a.close(); // idempotent: does not release b's reference
        assertThat(model.isClosed()).isFalse();
        assertThat(registry.openSessions()).isEqualTo(1);

        b.close();
        assertThat(model.isClosed()).isTrue();
        assertThat(registry.openSessions()).isZero();
        assertThatThrownBy(a::model).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aDifferentSessionConfigGetsItsOwnSession() throws Exception {
        try (SharedModelRegistry.Lease a = registry.acquire(SharedData.modelConfig(), ModelFetcher.local());
                SharedModelRegistry.Lease b = registry.acquire(SharedData.modelConfig().withIntraOpThreads(2), ModelFetcher.local())) {
            assertThat(b.model()).isNotSameAs(a.model());
            assertThat(registry.openSessions()).isEqualTo(2);
        }
        assertThat(registry.openSessions()).isZero();
    }

    @Test
    void classifiersOnOneConfigShareTheSession() throws Exception {
        List<ImageClassifier> classifiers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            classifiers.add(ImageClassifier.open(SharedData.modelConfig(), ModelFetcher.local(), registry));
        }
        assertThat(classifiers).extracting(ImageClassifier::model).containsOnly(classifiers.get(0).model());
        for (ImageClassifier c : classifiers) {
            c.close();
        }
        assertThat(classifiers.get(0).model().isClosed()).isTrue();
    }

    @Test
    void loadsNameVersionAndLabels() throws Exception {
        try (SharedModelRegistry.Lease lease = registry.acquire(SharedData.modelConfig(), ModelFetcher.local())) {
            LoadedModel m = lease.model();
            assertThat(m.name()).isEqualTo("mobilenetv2-12-int8");
            assertThat(m.version()).isEqualTo("83530ad811bc"); // shared/models/SHA256SUMS
            assertThat(m.labels().size()).isEqualTo(1000);
            assertThat(m.labels().get(967)).isEqualTo("espresso");
            assertThat(m.executionProvider()).isEqualTo(ExecutionProvider.CPU);
        }
    }

    @Test
    void cudaFallsBackToCpuWhenUnavailable() throws Exception {
        ModelConfig cuda = SharedData.modelConfig().withExecutionProvider(ExecutionProvider.CUDA);
        boolean cudaBuilt = ai.onnxruntime.OrtEnvironment.getAvailableProviders()
                .contains(ai.onnxruntime.OrtProvider.CUDA);
        try (ImageClassifier c = ImageClassifier.open(cuda, ModelFetcher.local(), registry)) {
            // The Maven onnxruntime artifact is CPU-only: the fallback must say so. (A -Pgpu build on a
            // machine with a GPU runs on CUDA; without one it falls back too: either is right there.)
            if (!cudaBuilt) {
                assertThat(c.model().executionProvider()).isEqualTo(ExecutionProvider.CPU);
            }
            byte[] png = TestImages.write(TestImages.quadrants(64, 64, java.awt.image.BufferedImage.TYPE_3BYTE_BGR), "png");
            assertThat(c.classify(png).topK()).hasSize(5);
        }
    }

    @Test
    void modelWhoseInputDoesNotMatchTheSpecFailsNamingBothShapes() throws Exception {
        Path model = copyModel();
        Files.writeString(dir.resolve("model.json"), "{\"layout\": \"NHWC\"}");
        assertThatThrownBy(() -> registry.acquire(ModelConfig.of(model.toString(), SharedData.labels().toString()),
                ModelFetcher.local()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("[?, 3, 224, 224]")
                .hasMessageContaining("[N, 224, 224, 3]");
        assertThat(registry.openSessions()).isZero();
    }

    @Test
    void modelWhoseSizeDoesNotMatchTheSpecFails() throws Exception {
        Path model = copyModel();
        Files.writeString(dir.resolve("model.json"), "{\"height\": 160, \"width\": 160, \"resize_shorter_side\": 182}");
        assertThatThrownBy(() -> registry.acquire(ModelConfig.of(model.toString(), SharedData.labels().toString()),
                ModelFetcher.local()))
                .hasMessageContaining("[?, 3, 224, 224]")
                .hasMessageContaining("[N, 3, 160, 160]");
    }

    @Test
    void labelsThatDoNotMatchTheOutputFail() throws Exception {
        Path labels = Files.writeString(dir.resolve("ten.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n");
        assertThatThrownBy(() -> registry.acquire(SharedData.modelConfig().withLabels(labels.toString()), ModelFetcher.local()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("[?, 1000]")
                .hasMessageContaining("[N, 10]");
    }

    @Test
    void unknownInputNameFailsListingTheModelsInputs() throws Exception {
        Path model = copyModel();
        Files.writeString(dir.resolve("model.json"), "{\"input_name\": \"images\"}");
        assertThatThrownBy(() -> registry.acquire(ModelConfig.of(model.toString(), SharedData.labels().toString()),
                ModelFetcher.local()))
                .hasMessageContaining("'images'")
                .hasMessageContaining("'input' float [?, 3, 224, 224]");
    }

    @Test
    void sidecarLabelsAreResolvedNextToTheSidecarAndNameTheModel() throws Exception {
        Path model = copyModel();
        Files.copy(SharedData.labels(), dir.resolve("classes.txt"));
        Files.writeString(dir.resolve("model.json"), "{\"model_name\": \"renamed\", \"labels\": \"classes.txt\"}");
        try (ImageClassifier c = ImageClassifier.open(ModelConfig.of(model.toString(), null), ModelFetcher.local(), registry)) {
            assertThat(c.model().name()).isEqualTo("renamed");
            assertThat(c.model().labels().size()).isEqualTo(1000);
        }
    }

    @Test
    void remoteSchemesNeedAFetcher() {
        assertThatThrownBy(() -> registry.acquire(ModelConfig.of("gs://bucket/model.onnx", null), ModelFetcher.local()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'gs'");
    }

    @Test
    void aPluggedFetcherServesItsScheme() throws Exception {
        ModelFetcher fake = location -> {
            String name = location.substring(location.lastIndexOf('/') + 1);
            Path p = name.endsWith(".onnx") ? SharedData.model() : dir.resolve(name);
            if (!Files.exists(p)) {
                throw new java.nio.file.NoSuchFileException(location);
            }
            return p;
        };
        Files.copy(SharedData.labels(), dir.resolve("imagenet_classes.txt"));
        Files.writeString(dir.resolve("mobilenet.json"), "{\"labels\": \"imagenet_classes.txt\"}");
        ModelFetcher fetcher = ModelFetcher.byScheme(java.util.Map.of("gs", fake));
        try (SharedModelRegistry.Lease lease = registry.acquire(ModelConfig.of("gs://models/v1/mobilenet.onnx", null), fetcher)) {
            assertThat(lease.model().labels().size()).isEqualTo(1000);
        }
    }

    @Test
    void classifierPassesDecoderRejectionsOn() throws Exception {
        try (ImageClassifier c = ImageClassifier.open(SharedData.modelConfig(), ModelFetcher.local(), registry)) {
            ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> c.classify(new byte[0]));
            assertThat(e.reason()).isEqualTo(DeadLetterReason.EMPTY);
        }
    }

    @Test
    void aFailedModelRunFailsTheTaskInsteadOfDeadLetteringTheImage() throws Exception {
        ImageClassifier c = ImageClassifier.open(SharedData.modelConfig(), ModelFetcher.local(), registry);
        byte[] png = TestImages.write(TestImages.quadrants(64, 64, java.awt.image.BufferedImage.TYPE_3BYTE_BGR), "png");
        // The process's fault, not this image's: the session is gone (so the classifier is not closed
        // again at the end; the registry is this test's own).
        c.model().session().close();
        assertThatThrownBy(() -> c.classify(png))
                .isInstanceOf(InferenceFailedException.class)
                .isNotInstanceOf(ImageRejectedException.class)
                .hasMessageContaining("mobilenetv2-12-int8");
    }

    private Path copyModel() throws Exception {
        return Files.copy(SharedData.model(), dir.resolve("model.onnx"));
    }
}
