package io.imageclassifier.source.backfill.reader;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.split.BackfillSplit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;

/**
 * Emits the listed references of its splits, one per {@code pollNext}, in order, and asks the
 * enumerator for the next split when it has none left. It reads no object: that is the fetch
 * stage's job, after dedupe. Everything runs on the task thread, so a checkpoint's position is
 * exactly what was emitted before its barrier.
 *
 * <p>Metric: the standard {@code pendingRecords} gauge, the objects of its splits not emitted yet.
 */
public final class BackfillSourceReader implements SourceReader<ObjectRef, BackfillSplit> {

    private static final CompletableFuture<Void> AVAILABLE = CompletableFuture.completedFuture(null);

    private final SourceReaderContext context;
    /** Splits not finished yet, the current one first, with how many of its objects are emitted. */
    private final ArrayDeque<Cursor> splits = new ArrayDeque<>();
    private CompletableFuture<Void> available = new CompletableFuture<>();
    private boolean requested;
    private boolean noMoreSplits;
    private volatile long pending;

    public BackfillSourceReader(SourceReaderContext context) {
        this.context = context;
        context.metricGroup().setPendingRecordsGauge(() -> pending);
    }

    @Override
    public void start() {
        requestIfIdle();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<ObjectRef> output) {
        Cursor current = splits.peek();
        if (current != null) {
            output.collect(current.split.objects().get(current.next++));
            pending--;
            if (current.next == current.split.objects().size()) {
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
    public void addSplits(List<BackfillSplit> added) {
        for (BackfillSplit s : added) {
            if (s.emitted() < s.objects().size()) {
                splits.add(new Cursor(s, s.emitted()));
                pending += s.objects().size() - s.emitted();
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
    public List<BackfillSplit> snapshotState(long checkpointId) {
        List<BackfillSplit> state = new ArrayList<>(splits.size());
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

    private static final class Cursor {
        final BackfillSplit split;
        int next;

        Cursor(BackfillSplit split, int next) {
            this.split = split;
            this.next = next;
        }
    }
}
