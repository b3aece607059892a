package io.imageclassifier.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Pub/Sub source's flow-control and backlog flags. */
class PubSubFlowAndBacklogConfigTest {

    private static final String SUB = "projects/p/subscriptions/s";

    private static PubSubConfig parse(Map<String, String> env, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--subscription";
        all[1] = SUB;
        System.arraycopy(args, 0, all, 2, args.length);
        return JobConfigParser.parse(all, env).config().pubsub();
    }

    @Test
    void flowControlIsByBytesByDefaultSoTheCheckpointIntervalDoesNotCapThroughput() {
        PubSubConfig c = parse(Map.of());

        assertThat(c.maxOutstandingMessages()).as("no count limit").isZero();
        assertThat(c.maxOutstandingBytes()).isEqualTo(100L * 1024 * 1024);
        assertThat(parse(Map.of(), "--max-outstanding-messages", "5000").maxOutstandingMessages()).isEqualTo(5000);
        assertThatThrownBy(() -> parse(Map.of(), "--max-outstanding-messages", "-1"))
                .hasMessageContaining("--max-outstanding-messages");
    }

    @Test
    void theRealServicesBacklogIsPolledEveryMinuteByDefault() {
        PubSubConfig c = parse(Map.of());

        assertThat(c.backlogEnabled()).isTrue();
        assertThat(c.monitoringEndpoint()).isNull();
        assertThat(c.backlogPollInterval()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void anEmulatorHasNoBacklogUnlessAMonitoringEndpointIsGiven() {
        Map<String, String> emulator = Map.of("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085");

        assertThat(parse(emulator).backlogEnabled()).isFalse();
        PubSubConfig withFake = parse(emulator, "--monitoring-endpoint", "127.0.0.1:9999",
                "--backlog-poll-interval", "15s");
        assertThat(withFake.backlogEnabled()).isTrue();
        assertThat(withFake.monitoringEndpoint()).isEqualTo("127.0.0.1:9999");
        assertThat(withFake.backlogPollInterval()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void aZeroPollIntervalTurnsTheBacklogOffAndAShortOneIsRejected() {
        assertThat(parse(Map.of(), "--backlog-poll-interval", "0s").backlogEnabled()).isFalse();
        assertThatThrownBy(() -> parse(Map.of(), "--backlog-poll-interval", "1s"))
                .hasMessageContaining("--backlog-poll-interval");
    }
}
