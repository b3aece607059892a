package io.imageclassifier.model.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the canary sits in the job graph. */
class CanaryGraphTest {

    @TempDir Path input;

    private StreamGraph graph(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--input-dir", input.toString(), "--no-console",
                "--parallelism", "2", "--model-repository", "/models/mobilenet"));
        args.addAll(List.of(extra));
        JobConfig config = JobConfigParser.parse(args.toArray(String[]::new), Map.of()).config();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env.getStreamGraph();
    }

    private static List<String> uids(StreamGraph graph) {
        return graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).filter(Objects::nonNull).toList();
    }

    @Test
    void aCanaryAddsItsOwnOutputAndOneJudgeForTheWholeJob() {
        StreamGraph graph = graph("--canary-fraction", "0.1");

        assertThat(uids(graph)).contains("canary-json", "canary-judge");
        StreamNode judge = graph.getStreamNodes().stream().filter(n -> "canary-judge".equals(n.getTransformationUID()))
                .findFirst().orElseThrow();
        assertThat(judge.getParallelism()).isEqualTo(1);
        List<String> vertices = graph.getJobGraph().getVerticesSortedTopologicallyFromSources().stream()
                .map(JobVertex::getName).toList();
        assertThat(vertices).anySatisfy(name -> assertThat(name).startsWith("dedupe -> fetch -> classify"));
    }

    @Test
    void withoutACanaryTheGraphHasNoCanaryOperators() {
        assertThat(uids(graph())).doesNotContain("canary-json", "canary-judge");
    }
}
