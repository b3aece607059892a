package io.imageclassifier.source.local;

import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.net.URLConnection;
import java.time.Instant;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.SingletonResultIterator;
import org.apache.flink.core.fs.Path;

/**
 * A {@link BulkFormat} that turns each file into one {@link ObjectRef}, without reading its bytes:
 * the bytes are read later by the fetch stage, after dedupe, exactly like objects from GCS.
 */
final class ObjectRefFormat implements BulkFormat<ObjectRef, FileSourceSplit> {
    private static final long serialVersionUID = 1L;

    private final String inputDir;

    /** @param inputDir the watched directory, as a URI path; names are made relative to it */
    ObjectRefFormat(String inputDir) {
        this.inputDir = inputDir;
    }

    @Override
    public Reader<ObjectRef> createReader(Configuration config, FileSourceSplit split) {
        return new SingleRefReader(toRef(split));
    }

    @Override
    public Reader<ObjectRef> restoreReader(Configuration config, FileSourceSplit split) {
        // A split is one file and one record: if its position says the record was emitted, skip it.
        boolean emitted = split.getReaderPosition()
                .map(p -> p.getOffset() > 0 || p.getRecordsAfterOffset() > 0)
                .orElse(false);
        return new SingleRefReader(emitted ? null : toRef(split));
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<ObjectRef> getProducedType() {
        return TypeInformation.of(ObjectRef.class);
    }

    private ObjectRef toRef(FileSourceSplit split) {
        Path path = split.path();
        String name = relativeName(path);
        String mtime = Instant.ofEpochMilli(split.fileModificationTime()).toString();
        return new ObjectRef(
                ObjectRef.SOURCE_LOCAL,
                ObjectRef.SOURCE_LOCAL,
                name,
                split.fileModificationTime() + "-" + split.fileSize(),
                split.fileSize(),
                URLConnection.guessContentTypeFromName(name),
                mtime,
                mtime,
                null,
                System.currentTimeMillis());
    }

    private String relativeName(Path file) {
        String full = file.toUri().getPath();
        String base = new Path(inputDir).toUri().getPath();
        if (!base.endsWith("/")) {
            base = base + "/";
        }
        return full.startsWith(base) ? full.substring(base.length()) : file.getName();
    }

    /** Emits the split's single record once, then reports end of split. */
    private static final class SingleRefReader implements Reader<ObjectRef> {
        private ObjectRef pending;

        SingleRefReader(ObjectRef ref) {
            this.pending = ref;
        }

        @Override
        public RecordIterator<ObjectRef> readBatch() {
            if (pending == null) {
                return null;
            }
            SingletonResultIterator<ObjectRef> it = new SingletonResultIterator<>();
            // Position after the record: (offset NO_OFFSET, 1 record) marks it as emitted on restore.
            it.set(pending, CheckpointedPosition.NO_OFFSET, 1);
            pending = null;
            return it;
        }

        @Override
        public void close() throws IOException {}
    }
}
