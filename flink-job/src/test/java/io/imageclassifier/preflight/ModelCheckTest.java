package io.imageclassifier.preflight;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local models and labels; gs:// ones against fake-gcs-server in {@link ModelCheckITCase}. */
class ModelCheckTest {

    @TempDir Path dir;

    private static void check(String... args) {
        JobConfig config = JobConfigParser.parse(args, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
        ModelCheck.check(config.model(), config.gcs());
    }

    @Test
    void theSharedModelWithItsDefaultLabelsPasses() {
        assertThatCode(() -> check()).doesNotThrowAnyException();
    }

    @Test
    void aMissingModelFailsNamingTheFlagAndPath() {
        assertThatThrownBy(() -> check("--model", dir.resolve("nope.onnx").toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--model " + dir.resolve("nope.onnx"))
                .hasMessageContaining("does not exist");
    }

    @Test
    void missingEmptyOrUnparsableLabelsFailNamingWhereTheyCameFrom() throws Exception {
        String model = SharedData.model().toString();
        assertThatThrownBy(() -> check("--model", model, "--labels", dir.resolve("none.txt").toString()))
                .hasMessageContaining("--labels " + dir.resolve("none.txt")).hasMessageContaining("does not exist");
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        assertThatThrownBy(() -> check("--model", model, "--labels", empty.toString()))
                .hasMessageContaining("--labels " + empty).hasMessageContaining("has no labels");
        Path gap = Files.writeString(dir.resolve("gap.txt"), "cat\n\ndog\n");
        assertThatThrownBy(() -> check("--model", model, "--fallback-labels", gap.toString()))
                .hasMessageContaining("--fallback-labels " + gap).hasMessageContaining("empty line 2");
    }

    @Test
    void aCustomModelWithoutLabelsAnywhereFails() throws Exception {
        Path model = Files.copy(SharedData.model(), dir.resolve("custom.onnx"));
        assertThatThrownBy(() -> check("--model", model.toString()))
                .hasMessageContaining("--model " + model).hasMessageContaining("has no labels");
    }

    @Test
    void theSidecarsLabelsAreCheckedAndWinOverTheFallback() throws Exception {
        Path model = Files.copy(SharedData.model(), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("model.onnx.json"), "{\"labels\": \"classes.txt\"}");
        assertThatThrownBy(() -> check("--model", model.toString(), "--fallback-labels", SharedData.labels().toString()))
                .hasMessageContaining("sidecar").hasMessageContaining(dir.resolve("classes.txt").toString())
                .hasMessageContaining("does not exist");
        Files.copy(SharedData.labels(), dir.resolve("classes.txt"));
        assertThatCode(() -> check("--model", model.toString())).doesNotThrowAnyException();
    }

    @Test
    void anInvalidSidecarFailsAtSubmission() throws Exception {
        Path model = Files.copy(SharedData.model(), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("model.onnx.json"), "{not json");
        assertThatThrownBy(() -> check("--model", model.toString(), "--labels", SharedData.labels().toString()))
                .hasMessageContaining("--model " + model).hasMessageContaining("sidecar");
    }
}
