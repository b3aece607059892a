package io.imageclassifier.source.local;

import io.imageclassifier.config.LocalSourceConfig;
import io.imageclassifier.record.ObjectRef;
import java.io.File;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;

/**
 * The local-mode source: every file under a directory (recursively; names starting with '.' or
 * '_' are ignored, so half-written temp files are not picked up), as {@link ObjectRef}s. Bounded
 * with {@code --once}; otherwise the directory is re-listed every monitor interval and new files
 * are emitted. The enumerator checkpoints which paths it has handed out.
 */
public final class LocalDirectorySource {
    private LocalDirectorySource() {}

    public static FileSource<ObjectRef> create(LocalSourceConfig config) {
        Path dir = Path.fromLocalFile(new File(config.inputDir()).getAbsoluteFile());
        FileSource.FileSourceBuilder<ObjectRef> builder =
                FileSource.forBulkFileFormat(new ObjectRefFormat(dir.toUri().getPath()), dir);
        if (!config.once()) {
            builder.monitorContinuously(config.monitorInterval());
        }
        return builder.build();
    }
}
