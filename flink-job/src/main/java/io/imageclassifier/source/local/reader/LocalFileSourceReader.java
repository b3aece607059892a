package io.imageclassifier.source.local.reader;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.local.split.LocalFile;
import io.imageclassifier.source.local.split.LocalFileSplit;
import java.net.URLConnection;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;

/**
 * Emits one {@link ObjectRef} per file of its splits, in order, and asks the enumerator for the
 * next split when it has none left. It reads no file: the bytes are read by the fetch stage, after
 * dedupe, as objects are fetched from GCS. Everything runs on the task thread (no fetcher thread:
 * there is no I/O to wait for), so a checkpoint's position is exactly the records emitted before
 * its barrier.
 */
public final class LocalFileSourceReader implements SourceReader<ObjectRef, LocalFileSplit> {

    private static final CompletableFuture<Void> AVAILABLE = CompletableFuture.completedFuture(null);

    private final SourceReaderContext context;
    /** Splits not finished yet, the current one first, with how many of its files are emitted. */
    private final ArrayDeque<Cursor> splits = new ArrayDeque<>();
    private CompletableFuture<Void> available = new CompletableFuture<>();
    private boolean requested;
    private boolean noMoreSplits;

    public LocalFileSourceReader(SourceReaderContext context) {
        this.context = context;
    }

    @Override
    public void start() {
        requestIfIdle();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<ObjectRef> output) {
        Cursor current = splits.peek();
        if (current != null) {
            output.collect(toRef(current.split.files().get(current.next++)));
            if (current.next == current.split.files().size()) {
                splits.poll();
            }
            if (!splits.isEmpty()) {
                return InputStatus.MORE_AVAILABLE;
            }
        }
        if (noMoreSplits) {
            return InputStatus.END_OF_INPUT;
        }
        requestIfIdle();
        return InputStatus.NOTHING_AVAILABLE;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return splits.isEmpty() && !noMoreSplits ? available : AVAILABLE;
    }

    @Override
    public void addSplits(List<LocalFileSplit> added) {
        for (LocalFileSplit s : added) {
            if (s.emitted() < s.files().size()) {
                splits.add(new Cursor(s, s.emitted()));
            }
        }
        requested = false;
        signal();
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        signal();
    }

    @Override
    public List<LocalFileSplit> snapshotState(long checkpointId) {
        List<LocalFileSplit> state = new ArrayList<>(splits.size());
        for (Cursor c : splits) {
            state.add(c.split.withEmitted(c.next));
        }
        return state;
    }

    @Override
    public void close() {}

    private void requestIfIdle() {
        if (splits.isEmpty() && !noMoreSplits && !requested) {
            requested = true;
            context.sendSplitRequest();
        }
    }

    private void signal() {
        CompletableFuture<Void> f = available;
        available = new CompletableFuture<>();
        f.complete(null);
    }

    /** The reference the rest of the job works with; the version stamp keys dedupe. */
    static ObjectRef toRef(LocalFile f) {
        String mtime = Instant.ofEpochMilli(f.modifiedMillis()).toString();
        return new ObjectRef(ObjectRef.SOURCE_LOCAL, ObjectRef.SOURCE_LOCAL, f.name(), f.version(), f.size(),
                URLConnection.guessContentTypeFromName(f.name()), mtime, mtime, null, f.discoveredAtMillis());
    }

    private static final class Cursor {
        final LocalFileSplit split;
        int next;

        Cursor(LocalFileSplit split, int next) {
            this.split = split;
            this.next = next;
        }
    }
}
