package io.imageclassifier.source.local;

import io.imageclassifier.config.LocalSourceConfig;
import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.local.enumerator.DirectoryLister;
import io.imageclassifier.source.local.enumerator.LocalDirectoryEnumerator;
import io.imageclassifier.source.local.enumerator.LocalEnumeratorState;
import io.imageclassifier.source.local.enumerator.LocalEnumeratorStateSerializer;
import io.imageclassifier.source.local.reader.LocalFileSourceReader;
import io.imageclassifier.source.local.split.LocalFileSplit;
import io.imageclassifier.source.local.split.LocalFileSplitSerializer;
import java.io.File;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The local-mode source: every file under a directory (recursively; names starting with '.' or
 * '_' are ignored, so half-written temp files are not picked up), as {@link ObjectRef}s. Bounded
 * with {@code --once}; otherwise the directory is re-listed every monitor interval and new or
 * changed files are emitted. Exactly-once: the enumerator checkpoints what it has listed and not
 * handed out, each reader how far it got in its splits.
 *
 * <p>Ours rather than Flink's {@code FileSource} because that one makes a split, and a
 * request/assignment round trip through the JobManager, per file; here a split is a batch of up to
 * {@link LocalDirectoryEnumerator#MAX_FILES_PER_SPLIT} files (see docs/benchmarks.md).
 */
public final class LocalDirectorySource
        implements Source<ObjectRef, LocalFileSplit, LocalEnumeratorState>, ResultTypeQueryable<ObjectRef> {

    private static final long serialVersionUID = 1L;

    private final DirectoryLister lister;
    private final boolean bounded;
    private final long monitorIntervalMillis;

    public LocalDirectorySource(String inputDir, boolean bounded, long monitorIntervalMillis) {
        this.lister = new DirectoryLister(new File(inputDir).getAbsolutePath());
        this.bounded = bounded;
        this.monitorIntervalMillis = monitorIntervalMillis;
    }

    /** The job's source for these settings. */
    public static LocalDirectorySource create(LocalSourceConfig config) {
        return new LocalDirectorySource(config.inputDir(), config.once(), config.monitorInterval().toMillis());
    }

    @Override
    public Boundedness getBoundedness() {
        return bounded ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<LocalFileSplit, LocalEnumeratorState> createEnumerator(
            SplitEnumeratorContext<LocalFileSplit> context) {
        return restoreEnumerator(context, LocalEnumeratorState.empty());
    }

    @Override
    public SplitEnumerator<LocalFileSplit, LocalEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<LocalFileSplit> context, LocalEnumeratorState state) {
        return new LocalDirectoryEnumerator(context, lister, bounded, monitorIntervalMillis, state);
    }

    @Override
    public SimpleVersionedSerializer<LocalFileSplit> getSplitSerializer() {
        return LocalFileSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<LocalEnumeratorState> getEnumeratorCheckpointSerializer() {
        return LocalEnumeratorStateSerializer.INSTANCE;
    }

    @Override
    public SourceReader<ObjectRef, LocalFileSplit> createReader(SourceReaderContext context) {
        return new LocalFileSourceReader(context);
    }

    @Override
    public TypeInformation<ObjectRef> getProducedType() {
        return TypeInformation.of(ObjectRef.class);
    }
}
