package io.imageclassifier.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model repository and canary flags, parsed into {@link ModelRolloutSettings}. */
class ModelRolloutFlagsTest {

    private static JobConfig parse(String... args) {
        return JobConfigParser.parse(args, Map.of("SHARED_DIR", "/data/shared")).config();
    }

    @Test
    void withoutARepositoryTheOneModelIsFixed() {
        ModelRolloutSettings r = parse().model().rollout();
        assertThat(r.watched()).isFalse();
        assertThat(r.canary()).isFalse();
        assertThat(r.pollInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aRepositoryIsWatchedAndReplacesTheModel() {
        JobConfig c = parse("--model-repository", "gs://b/models/mobilenet/", "--model-poll-interval", "10s",
                "--canary-fraction", "0.05", "--canary-images", "500", "--canary-min-agreement", "0.9",
                "--canary-auto-promote");
        ModelRolloutSettings r = c.model().rollout();
        assertThat(r.watched()).isTrue();
        assertThat(r.repository()).isEqualTo("gs://b/models/mobilenet/");
        assertThat(c.model().model()).isEqualTo("gs://b/models/mobilenet/");
        assertThat(c.model().labels()).isNull();
        assertThat(r.pollInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(r.canary()).isTrue();
        assertThat(r.canaryFraction()).isEqualTo(0.05);
        assertThat(r.canaryImages()).isEqualTo(500);
        assertThat(r.canaryMinAgreement()).isEqualTo(0.9);
        assertThat(r.canaryAutoPromote()).isTrue();
    }

    @Test
    void canaryDefaultsAreOffAndReadOnly() {
        ModelRolloutSettings r = parse("--model-repository", "/models/mobilenet").model().rollout();
        assertThat(r.canary()).isFalse();
        assertThat(r.canaryImages()).isEqualTo(200);
        assertThat(r.canaryMinAgreement()).isEqualTo(0.95);
        assertThat(r.canaryAutoPromote()).isFalse();
    }

    @Test
    void contradictoryOrInvalidRolloutFlagsNameTheFlag() {
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--model", "/m.onnx"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--model-repository");
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--labels", "/l.txt"))
                .hasMessageContaining("--model-repository");
        assertThatThrownBy(() -> parse("--canary-fraction", "0.1")).hasMessageContaining("--canary-fraction")
                .hasMessageContaining("--model-repository");
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--canary-fraction", "1.5"))
                .hasMessageContaining("--canary-fraction");
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--canary-fraction", "0.1", "--canary-images", "0"))
                .hasMessageContaining("--canary-images");
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--canary-min-agreement", "2"))
                .hasMessageContaining("--canary-min-agreement");
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--canary-auto-promote"))
                .hasMessageContaining("--canary-auto-promote");
        assertThatThrownBy(() -> parse("--model-repository", "/r", "--model-poll-interval", "0s"))
                .hasMessageContaining("--model-poll-interval");
    }

    @Test
    void helpListsTheRolloutFlags() {
        assertThat(JobConfigParser.usage()).contains("--model-repository", "--model-poll-interval", "--canary-fraction",
                "--canary-images", "--canary-min-agreement", "--canary-auto-promote");
    }
}
