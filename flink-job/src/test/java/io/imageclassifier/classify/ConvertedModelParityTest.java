package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.record.TopKEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A model converted by {@code model-convert} (Keras MobileNetV2, NHWC, [-1,1] scaling), loaded with
 * its sidecar, classifies the same images as ONNX Runtime in Python did: same input tensor, same
 * top-k, same probabilities. The fixture comes from {@code model-convert/scripts/make-java-fixture.sh}
 * (.ci/run makes it and passes its folder in {@code MODEL_CONVERT_FIXTURE_DIR}).
 */
class ConvertedModelParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path fixtureDir() {
        String dir = System.getProperty("model.convert.fixture.dir", System.getenv("MODEL_CONVERT_FIXTURE_DIR"));
        if (dir == null && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI must provide MODEL_CONVERT_FIXTURE_DIR (see .ci/run)");
        }
        Assumptions.assumeTrue(dir != null,
                "MODEL_CONVERT_FIXTURE_DIR not set: run model-convert/scripts/make-java-fixture.sh DIR first");
        return Path.of(dir);
    }

    @Test
    void javaPreprocessingAndInferenceMatchPythonOnTheConvertedModel() throws Exception {
        Path dir = fixtureDir();
        List<Path> references;
        try (Stream<Path> files = Files.list(dir)) {
            references = files.filter(p -> p.getFileName().toString().startsWith("reference-")).sorted().toList();
        }
        assertThat(references).isNotEmpty();

        ModelConfig config = ModelConfig.of(dir.resolve("model.onnx").toString(), null);
        try (ImageClassifier classifier = ImageClassifier.open(config)) {
            assertThat(classifier.model().spec().layout()).isEqualTo(PreprocessSpec.Layout.NHWC);
            for (Path referenceFile : references) {
                assertMatches(classifier, dir, JSON.readTree(referenceFile.toFile()));
            }
        }
    }

    private static void assertMatches(ImageClassifier classifier, Path dir, JsonNode ref) throws Exception {
        String image = ref.get("image").asText();
        byte[] bytes = Files.readAllBytes(dir.resolve(ref.get("image_path").asText()));

        // Same tensor: the first values and the sum, to float precision.
        float[] tensor = classifier.decodeAndPreprocess(bytes);
        JsonNode expectedTensor = ref.get("input_tensor");
        JsonNode first = expectedTensor.get("first_values");
        for (int i = 0; i < first.size(); i++) {
            assertThat((double) tensor[i]).as("%s tensor[%d]", image, i).isCloseTo(first.get(i).asDouble(), within(1e-5));
        }
        double sum = 0;
        for (float v : tensor) {
            sum += v;
        }
        assertThat(sum).as("%s tensor sum", image)
                .isCloseTo(expectedTensor.get("sum").asDouble(), within(1e-6 * tensor.length));

        // Same answer: top-k classes in order, and their probabilities.
        ClassificationResult result = classifier.classify(bytes);
        JsonNode topK = ref.get("top_k");
        assertThat(result.labelIndex()).as("%s top-1", image).isEqualTo(topK.get(0).get("index").asInt());
        TopKEntry[] actual = result.topK();
        for (int i = 0; i < topK.size(); i++) {
            assertThat(actual[i].labelIndex()).as("%s rank %d", image, i + 1).isEqualTo(topK.get(i).get("index").asInt());
            assertThat(actual[i].label()).isEqualTo(topK.get(i).get("label").asText());
            assertThat(actual[i].score()).as("%s probability at rank %d", image, i + 1)
                    .isCloseTo(topK.get(i).get("probability").asDouble(), within(1e-6));
        }
    }

}
