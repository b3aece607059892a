package io.imageclassifier.preflight;

import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.JobConfig;
import java.io.IOException;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.UnsupportedFileSystemSchemeException;

/**
 * The output and checkpoint directories are on file systems this Flink can write. {@code gs://}
 * comes from the flink-gs-fs-hadoop plugin, which a cluster loads from its {@code plugins/} folder
 * (the Kubernetes image has it); the embedded local mode loads no plugins.
 */
final class FileSystemCheck {

    private FileSystemCheck() {}

    static void check(JobConfig config) {
        check("--output-dir", config.output().outputDir());
        if (config.runtime().checkpointDir() != null) {
            check("--checkpoint-dir", config.runtime().checkpointDir());
        }
    }

    static void check(String flag, String location) {
        Path path = new Path(location);
        try {
            FileSystem.get(path.toUri());
        } catch (UnsupportedFileSystemSchemeException e) {
            String scheme = path.toUri().getScheme();
            throw new ConfigException(flag + " " + location + ": this Flink has no file system for " + scheme + "://. "
                    + ("gs".equals(scheme) ? "A Flink cluster reads gs:// through the flink-gs-fs-hadoop plugin in its "
                            + "plugins/ folder (the Kubernetes image has it); the embedded local mode "
                            + "(scripts/run-local.sh) loads no plugins: write to a local --output-dir there, or "
                            + "submit the job to a cluster that has the plugin."
                            : "Enable the file system's plugin on the cluster, or use a local path."), e);
        } catch (IOException e) {
            throw new ConfigException(flag + " " + location + ": " + e.getMessage(), e);
        }
    }
}
