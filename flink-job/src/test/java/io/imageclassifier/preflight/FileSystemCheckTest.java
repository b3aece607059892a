package io.imageclassifier.preflight;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import io.imageclassifier.config.JobConfigParser;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemCheckTest {

    private static JobConfig config(String... args) {
        return JobConfigParser.parse(args, Map.of()).config();
    }

    /**
     * The embedded local mode has no gs:// file system (no plugins): a gs:// output fails at start,
     * saying why and what to do, instead of when the first file is written.
     */
    @Test
    void gcsOutputWithoutTheGcsPluginFailsAtStartWithTheWayOut() {
        assertThatThrownBy(() -> FileSystemCheck.check(config("--output-dir", "gs://my-bucket/output")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--output-dir gs://my-bucket/output")
                .hasMessageContaining("no file system for gs://")
                .hasMessageContaining("flink-gs-fs-hadoop")
                .hasMessageContaining("local --output-dir");
        assertThatThrownBy(() -> FileSystemCheck.check(config("--checkpoint-dir", "gs://my-bucket/cp")))
                .hasMessageContaining("--checkpoint-dir gs://my-bucket/cp");
        assertThatThrownBy(() -> FileSystemCheck.check(config("--output-dir", "s4://x/y")))
                .hasMessageContaining("no file system for s4://");
    }

    @Test
    void localDirectoriesPass(@TempDir Path dir) {
        assertThatCode(() -> FileSystemCheck.check(config("--output-dir", dir.resolve("out").toString(),
                "--checkpoint-dir", dir.resolve("cp").toUri().toString()))).doesNotThrowAnyException();
        assertThatCode(() -> FileSystemCheck.check(config("--output-dir", "relative/out"))).doesNotThrowAnyException();
    }
}
