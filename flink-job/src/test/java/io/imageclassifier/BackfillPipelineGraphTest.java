package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/** Where the backfill source joins the job graph: before the one keyBy, so listed and notified objects share dedupe. */
class BackfillPipelineGraphTest {

    private static StreamGraph graph(String... args) {
        JobConfig config = JobConfigParser.parse(args, Map.of("SHARED_DIR", "/nonexistent")).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env.getStreamGraph();
    }

    private static StreamGraph withSubscription(String backfill) {
        return graph("--subscription", "projects/p/subscriptions/s", "--pubsub-endpoint", "127.0.0.1:1",
                "--gcs-endpoint", "http://127.0.0.1:2", "--no-console", "--parallelism", "2", "--backfill", backfill);
    }

    private static List<String> uids(StreamGraph graph) {
        // Sorted: the graph's node order is not part of the contract, the set of uids is.
        return graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).filter(Objects::nonNull)
                .sorted().toList();
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream().filter(n -> uid.equals(n.getTransformationUID())).findFirst()
                .orElseThrow(() -> new AssertionError("no operator with uid " + uid));
    }

    @Test
    void theBackfillAndTheNotificationsFeedOneDedupe() {
        StreamGraph graph = withSubscription("gs://photos/2026/");
        List<String> uids = uids(graph);
        String source = uids.stream().filter(u -> u.startsWith("backfill-source-")).findFirst().orElseThrow();
        String filter = source.replace("-source-", "-filter-");

        assertThat(uids).contains("pubsub-source", "notification-filter", source, filter).doesNotHaveDuplicates();
        assertThat(uids.stream().filter("dedupe"::equals)).hasSize(1);
        List<String> intoDedupe = graph.getStreamNodes().stream()
                .filter(n -> n.getOutEdges().stream().anyMatch(e -> e.getTargetId() == node(graph, "dedupe").getId()))
                .map(StreamNode::getTransformationUID).toList();
        assertThat(intoDedupe).containsExactlyInAnyOrder("notification-filter", filter);
    }

    @Test
    void eachBucketAndPrefixIsABackfillOfItsOwnWhileTheSameOneKeepsItsUid() {
        List<String> photos2026 = uids(withSubscription("gs://photos/2026/"));
        assertThat(uids(withSubscription("gs://photos/2026/"))).isEqualTo(photos2026);
        assertThat(uids(withSubscription("gs://photos/2025/"))).isNotEqualTo(photos2026);
    }

    @Test
    void addingABackfillKeepsEveryUidOfTheJobWithoutIt() {
        StreamGraph without = graph("--subscription", "projects/p/subscriptions/s", "--pubsub-endpoint",
                "127.0.0.1:1", "--gcs-endpoint", "http://127.0.0.1:2", "--no-console", "--parallelism", "2");
        List<String> with = uids(withSubscription("gs://photos/2026/"));

        // A savepoint of the job without a backfill restores into the job with one: only new operators.
        assertThat(with).containsAll(uids(without));
        assertThat(with.stream().filter(u -> !uids(without).contains(u)))
                .allMatch(u -> u.startsWith("backfill-source-") || u.startsWith("backfill-filter-"));
    }

    @Test
    void aBackfillOnlyJobHasNoPubSubSource() {
        List<String> uids = uids(graph("--backfill", "gs://photos", "--gcs-endpoint", "http://127.0.0.1:2",
                "--no-console", "--parallelism", "2"));
        assertThat(uids).anyMatch(u -> u.startsWith("backfill-source-")).contains("dedupe", "gcs-fetch", "classify")
                .doesNotContain("pubsub-source", "local-directory-files");
    }
}
