package io.imageclassifier.preflight;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.testing.SharedData;
import io.imageclassifier.testing.emulator.CloudEmulators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** gs:// models and labels checked at submission, against fake-gcs-server. */
class ModelCheckITCase {

    @RegisterExtension
    static final CloudEmulators EMULATORS = new CloudEmulators();

    private static final String BUCKET = "preflight-models";

    @BeforeAll
    static void upload() throws Exception {
        try (Storage storage = EMULATORS.storage()) {
            storage.create(BucketInfo.of(BUCKET));
            put(storage, "v1/model.onnx", Files.readAllBytes(SharedData.model()));
            put(storage, "v1/imagenet.txt", Files.readAllBytes(SharedData.labels()));
            put(storage, "v1/empty.txt", new byte[0]);
            // A converted model whose sidecar names labels that were never uploaded.
            put(storage, "v2/model.onnx", Files.readAllBytes(SharedData.model()));
            put(storage, "v2/model.onnx.json", "{\"labels\": \"classes.txt\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void put(Storage storage, String name, byte[] bytes) {
        storage.create(BlobInfo.newBuilder(BUCKET, name).build(), bytes);
    }

    private static void check(String... flags) {
        List<String> args = new ArrayList<>(List.of("--gcs-endpoint", EMULATORS.gcsEndpoint()));
        args.addAll(List.of(flags));
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new), Map.of()).config();
        ModelCheck.check(config.model(), config.gcs());
    }

    @Test
    void aModelAndLabelsOnGcsPass() {
        assertThatCode(() -> check("--model", "gs://" + BUCKET + "/v1/model.onnx",
                "--fallback-labels", "gs://" + BUCKET + "/v1/imagenet.txt")).doesNotThrowAnyException();
    }

    @Test
    void aMissingGcsModelFailsAtSubmission() {
        assertThatThrownBy(() -> check("--model", "gs://" + BUCKET + "/v9/model.onnx",
                "--labels", "gs://" + BUCKET + "/v1/imagenet.txt"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--model gs://" + BUCKET + "/v9/model.onnx does not exist");
    }

    @Test
    void missingOrEmptyGcsLabelsFailAtSubmission() {
        assertThatThrownBy(() -> check("--model", "gs://" + BUCKET + "/v1/model.onnx",
                "--labels", "gs://" + BUCKET + "/v1/nope.txt"))
                .hasMessageContaining("--labels gs://" + BUCKET + "/v1/nope.txt does not exist");
        assertThatThrownBy(() -> check("--model", "gs://" + BUCKET + "/v1/model.onnx",
                "--labels", "gs://" + BUCKET + "/v1/empty.txt"))
                .hasMessageContaining("--labels gs://" + BUCKET + "/v1/empty.txt cannot be read")
                .hasMessageContaining("has no labels");
        assertThatThrownBy(() -> check("--model", "gs://" + BUCKET + "/v2/model.onnx",
                "--fallback-labels", "gs://" + BUCKET + "/v1/imagenet.txt"))
                .hasMessageContaining("sidecar").hasMessageContaining("gs://" + BUCKET + "/v2/classes.txt does not exist");
    }
}
