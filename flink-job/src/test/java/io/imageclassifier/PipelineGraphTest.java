package io.imageclassifier;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.record.ObjectRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job graph is one path for every source, and its stateful operators keep the uids (and state
 * types) that running deployments' savepoints hold their state under.
 */
class PipelineGraphTest {

    @TempDir Path input;

    private static StreamExecutionEnvironment built(String... args) {
        JobConfig config = JobConfigParser.parse(args, Map.of("SHARED_DIR", "/nonexistent")).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env;
    }

    private StreamExecutionEnvironment local() {
        return built("--input-dir", input.toString(), "--no-console", "--parallelism", "2");
    }

    private static StreamExecutionEnvironment cloud() {
        return built("--subscription", "projects/p/subscriptions/s", "--pubsub-endpoint", "127.0.0.1:1",
                "--gcs-endpoint", "http://127.0.0.1:2", "--no-console", "--parallelism", "2");
    }

    private static List<String> uids(StreamGraph graph) {
        return graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).filter(Objects::nonNull).toList();
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream().filter(n -> uid.equals(n.getTransformationUID())).findFirst()
                .orElseThrow(() -> new AssertionError("no operator with uid " + uid));
    }

    @Test
    void bothSourcesShareOneDedupeFetchAndClassifyUnderTheirSavepointUids() {
        List<String> shared = List.of("dedupe", "gcs-fetch", "classify", "predictions-json", "count-dead-letters",
                "dead-letter-json");
        List<String> local = uids(local().getStreamGraph());
        List<String> cloud = uids(cloud().getStreamGraph());

        assertThat(local).containsAll(shared).contains("local-directory-files").doesNotContain("read-file");
        assertThat(cloud).containsAll(shared).contains("pubsub-source", "notification-filter");
        assertThat(local).doesNotHaveDuplicates();
        assertThat(cloud).doesNotHaveDuplicates();
    }

    @Test
    void dedupeIsKeyedByStringAndTheFetchBuffersObjectRefsAsBefore() {
        for (StreamExecutionEnvironment env : List.of(local(), cloud())) {
            StreamGraph graph = env.getStreamGraph();
            // Dedupe's "seen" state is keyed by these bytes; the fetch's in-flight state holds these records.
            assertThat(node(graph, "dedupe").getStateKeySerializer()).isInstanceOf(StringSerializer.class);
            assertThat(node(graph, "gcs-fetch").getTypeSerializersIn()[0]).isEqualTo(
                    TypeInformation.of(ObjectRef.class).createSerializer(env.getConfig().getSerializerConfig()));
        }
    }

    @Test
    void dedupeFetchAndClassifyRunChainedSoImageBytesNeverCrossTheNetwork() {
        for (StreamExecutionEnvironment env : List.of(local(), cloud())) {
            List<String> vertices = env.getStreamGraph().getJobGraph().getVerticesSortedTopologicallyFromSources()
                    .stream().map(JobVertex::getName).toList();
            assertThat(vertices).anySatisfy(name -> assertThat(name).startsWith("dedupe -> fetch -> classify"));
        }
    }
}
