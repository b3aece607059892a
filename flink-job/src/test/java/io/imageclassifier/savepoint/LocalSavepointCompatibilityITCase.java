package io.imageclassifier.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.ClassifierPipeline;
import io.imageclassifier.ImageClassifierJob;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import io.imageclassifier.dedupe.DedupeFunction;
import io.imageclassifier.testing.JsonRows;
import io.imageclassifier.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operator uids, state names and serializers are a contract with every running deployment: an
 * upgrade restores the new build from a savepoint of the old one. {@code savepoints/local-v1/} holds
 * a savepoint of the local-mode job taken with the first release's build, after it had classified
 * the files listed in its {@code inputs.tsv}. Restored with the current build (without
 * allowNonRestoredState, so a renamed uid fails the restore), the job must remember those files:
 * the source does not hand them out again, dedupe drops them when they come back, and only new
 * files get rows, once each. When this fails, the change that broke it must ship a migration (and
 * this savepoint stays). {@link #writeSavepointOfThisBuild} made it ({@code -Dsavepoint.write=true}).
 */
class LocalSavepointCompatibilityITCase {
    static final String LOCAL_V1 = "local-v1";
    /** Files the savepoint's job classified: modification times are fixed so their versions are too. */
    static final int SEEN = 4;
    static final long SEEN_MTIME_MILLIS = 1_796_083_200_000L; // 2026-12-01T00:00:00Z

    private static final InMemoryReporter METRICS = InMemoryReporter.create();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .setConfiguration(METRICS.addToConfiguration(new Configuration()))
                    .build());

    @TempDir Path input;
    @TempDir Path output;
    @TempDir Path scratch;

    @Test
    void theLocalModeSavepointOfTheFirstReleaseRestoresAndOnlyNewFilesGetRows() throws Exception {
        Path savepoint = SavepointFiles.copyOf(LOCAL_V1, scratch);
        List<SeenFile> seen = SeenFile.readAll(savepoint.resolve("inputs.tsv"));
        assertThat(seen).hasSize(SEEN);
        List<Path> fresh = SharedData.devImages().subList(SEEN, SEEN + 6);

        for (SeenFile f : seen) {
            f.copyInto(input);
        }
        copy(fresh.subList(0, 2));
        JobClient job = restore(savepoint);
        try {
            // The restored enumerator knows the seen files: only the new ones are handed out.
            awaitRows(job, 2);
            assertThat(duplicatesDropped(job.getJobID())).as("seen files handed out again").isZero();

            // Gone, then back at the same version: the enumerator forgets them and hands them out
            // again, and the restored dedupe state must drop every one.
            for (SeenFile f : seen) {
                Files.delete(input.resolve(f.name()));
            }
            copy(fresh.subList(2, 4));
            awaitRows(job, 4);
            for (SeenFile f : seen) {
                f.copyInto(input);
            }
            copy(fresh.subList(4, 6));
            awaitRows(job, 6);
            SavepointFiles.waitFor(job, "each seen file dropped or classified",
                    () -> duplicatesDropped(job.getJobID()) + rowsOf(seen).size() >= SEEN);
            assertThat(rowsOf(seen)).as("rows for files the savepoint had seen (dedupe state lost?)").isEmpty();
            assertThat(duplicatesDropped(job.getJobID())).isEqualTo(SEEN);
        } finally {
            SavepointFiles.cancel(job);
        }

        Map<String, Long> counts = JsonRows.read(output.resolve("predictions")).stream()
                .collect(Collectors.groupingBy(r -> r.get("name").asText(), Collectors.counting()));
        assertThat(counts).containsOnlyKeys(fresh.stream().map(p -> p.getFileName().toString()).toList())
                .allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(1));
        assertThat(JsonRows.read(output.resolve("dead-letter"))).isEmpty();
    }

    /**
     * Writes {@code savepoints/<savepoint.name>/} (default local-v1; never overwrite a committed
     * one): the job classifies {@link #SEEN} dev photos, then stops with a canonical savepoint once
     * their rows are committed, so no pending file (whose absolute path would tie the savepoint to
     * this machine) is in it.
     */
    @Test
    @EnabledIfSystemProperty(named = "savepoint.write", matches = "true")
    void writeSavepointOfThisBuild() throws Exception {
        String name = SavepointFiles.newName(LOCAL_V1);
        List<SeenFile> seen = new ArrayList<>();
        List<Path> images = SharedData.devImages().subList(0, SEEN);
        for (int i = 0; i < images.size(); i++) {
            Path image = images.get(i);
            seen.add(new SeenFile(image.getFileName().toString(), SEEN_MTIME_MILLIS + i * 1000L, Files.size(image)));
            seen.get(i).copyInto(input);
        }

        StreamExecutionEnvironment env = env(config());
        JobClient job = env.executeAsync(env.getStreamGraph());
        awaitRows(job, SEEN);
        String path = job.stopWithSavepoint(false, scratch.toUri().toString(), SavepointFormatType.CANONICAL).get();
        Path target = SavepointFiles.commit(path, name, List.of(input, output));
        Files.writeString(target.resolve("inputs.tsv"), seen.stream().map(SeenFile::line)
                .collect(Collectors.joining("\n", "", "\n")));
    }

    private JobClient restore(Path savepoint) throws Exception {
        StreamExecutionEnvironment env = env(config());
        StreamGraph graph = env.getStreamGraph();
        graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint.toUri().toString(), false));
        return env.executeAsync(graph);
    }

    private JobConfig config() {
        return JobConfigParser.parse(new String[] {
            "--input-dir", input.toString(), "--output-dir", output.toString(), "--parallelism", "2",
            "--checkpoint-interval", "1s", "--monitor-interval", "500ms", "--no-console", "--dedupe-ttl", SavepointFiles.DEDUPE_TTL
        }, Map.of("SHARED_DIR", SharedData.dir().toString())).config();
    }

    private static StreamExecutionEnvironment env(JobConfig config) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ImageClassifierJob.configure(env, config);
        ClassifierPipeline.build(env, config);
        return env;
    }

    private void copy(List<Path> images) throws IOException {
        for (Path image : images) {
            // Under a hidden name, then renamed: the source never sees half a file.
            Path tmp = input.resolve("." + image.getFileName());
            Files.copy(image, tmp);
            Files.move(tmp, input.resolve(image.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private void awaitRows(JobClient job, int n) throws Exception {
        SavepointFiles.waitFor(job, n + " rows", () -> JsonRows.read(output.resolve("predictions")).size() >= n);
    }

    private long duplicatesDropped(JobID job) {
        return SavepointFiles.counter(METRICS, job, DedupeFunction.METRIC_DUPLICATES_DROPPED);
    }

    private List<String> rowsOf(List<SeenFile> files) {
        List<String> names = files.stream().map(SeenFile::name).toList();
        return JsonRows.read(output.resolve("predictions")).stream().map(r -> r.get("name").asText())
                .filter(names::contains).toList();
    }

    /** A dev photo the savepoint's job classified, at the version (mtime, size) it saw. */
    record SeenFile(String name, long modifiedMillis, long size) {
        static List<SeenFile> readAll(Path tsv) throws IOException {
            return Files.readAllLines(tsv).stream().filter(l -> !l.isBlank()).map(l -> {
                String[] f = l.split("\t");
                return new SeenFile(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]));
            }).toList();
        }

        String line() {
            return name + "\t" + modifiedMillis + "\t" + size;
        }

        /** Copies it from the dev set into {@code dir} with the modification time the old job saw. */
        void copyInto(Path dir) throws IOException {
            Path source = SharedData.dir().resolve("images/imagenet-dev").resolve(name);
            assertThat(Files.size(source)).as("size of %s in the shared dev set", name).isEqualTo(size);
            Path tmp = dir.resolve("." + name);
            Files.copy(source, tmp);
            Files.setLastModifiedTime(tmp, FileTime.fromMillis(modifiedMillis));
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
