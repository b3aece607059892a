package io.imageclassifier.source.local.enumerator;

import io.imageclassifier.source.local.split.LocalFile;
import io.imageclassifier.source.local.split.LocalFileSplit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.util.FlinkRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the directory (once when bounded, else every monitor interval, on the coordinator's I/O
 * thread) and hands the files it has not seen before to readers that ask, up to
 * {@link #MAX_FILES_PER_SPLIT} per split. A file is "seen" at a version (modification time and
 * size): one that changes is emitted again, one that disappears is forgotten. Files that readers
 * had not checkpointed when they failed come back through {@link #addSplitsBack} and are handed
 * out first.
 */
public final class LocalDirectoryEnumerator implements SplitEnumerator<LocalFileSplit, LocalEnumeratorState> {

    /**
     * Files per split. Large enough that a request/assignment round trip is rare (one per 256
     * images, not per image); small enough that a split is at most a few seconds of work, and that
     * the files of one listing spread over the readers.
     */
    public static final int MAX_FILES_PER_SPLIT = 256;

    private static final Logger LOG = LoggerFactory.getLogger(LocalDirectoryEnumerator.class);

    private final SplitEnumeratorContext<LocalFileSplit> context;
    private final DirectoryLister lister;
    private final boolean bounded;
    private final long monitorIntervalMillis;
    private final Map<String, LocalFile> known = new HashMap<>();
    private final ArrayDeque<LocalFile> pending;
    private final Set<Integer> waiting = new LinkedHashSet<>();
    private boolean listed;
    private long nextSplitId;

    public LocalDirectoryEnumerator(SplitEnumeratorContext<LocalFileSplit> context, DirectoryLister lister,
            boolean bounded, long monitorIntervalMillis, LocalEnumeratorState state) {
        this.context = context;
        this.lister = lister;
        this.bounded = bounded;
        this.monitorIntervalMillis = monitorIntervalMillis;
        state.known().forEach(f -> known.put(f.name(), f));
        this.pending = new ArrayDeque<>(state.pending());
        this.listed = state.listed();
        this.nextSplitId = state.nextSplitId();
    }

    @Override
    public void start() {
        context.metricGroup().gauge("pendingFiles", pending::size);
        if (!bounded) {
            context.callAsync(lister::list, this::onListing, 0, monitorIntervalMillis);
        } else if (!listed) {
            context.callAsync(lister::list, this::onListing);
        }
    }

    private void onListing(List<LocalFile> files, Throwable error) {
        if (error != null) {
            if (bounded) {
                throw new FlinkRuntimeException("Listing the input directory failed", error);
            }
            LOG.warn("Listing the input directory failed; trying again in {} ms", monitorIntervalMillis, error);
            return;
        }
        Map<String, LocalFile> current = new HashMap<>(files.size() * 2);
        int added = 0;
        for (LocalFile f : files) {
            LocalFile before = known.get(f.name());
            if (f.sameVersion(before)) {
                current.put(f.name(), before);
            } else {
                current.put(f.name(), f);
                pending.add(f);
                added++;
            }
        }
        known.clear();
        known.putAll(current);
        listed = true;
        if (added > 0 || bounded) {
            LOG.info("Listed {} files: {} new or changed, {} waiting for a reader", files.size(), added, pending.size());
        }
        assignToWaiting();
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        waiting.add(subtaskId);
        assignToWaiting();
    }

    @Override
    public void addSplitsBack(List<LocalFileSplit> splits, int subtaskId) {
        // Back in front, in their order: these were found first.
        List<LocalFile> back = new ArrayList<>();
        splits.forEach(s -> back.addAll(s.remaining()));
        for (int i = back.size() - 1; i >= 0; i--) {
            pending.addFirst(back.get(i));
        }
        LOG.info("{} files not checkpointed by reader {} are to be handed out again", back.size(), subtaskId);
        assignToWaiting();
    }

    @Override
    public void addReader(int subtaskId) {
        // Readers ask for splits when they have none.
    }

    @Override
    public LocalEnumeratorState snapshotState(long checkpointId) {
        return new LocalEnumeratorState(new ArrayList<>(known.values()), new ArrayList<>(pending), listed, nextSplitId);
    }

    @Override
    public void close() {}

    private void assignToWaiting() {
        for (Iterator<Integer> it = waiting.iterator(); it.hasNext(); ) {
            int subtask = it.next();
            if (!context.registeredReaders().containsKey(subtask)) {
                it.remove(); // failed since it asked; it asks again when it is back
            } else if (!pending.isEmpty()) {
                context.assignSplit(nextSplit(), subtask);
                it.remove();
            } else if (bounded && listed) {
                context.signalNoMoreSplits(subtask);
                it.remove();
            }
        }
    }

    private LocalFileSplit nextSplit() {
        List<LocalFile> files = new ArrayList<>(Math.min(MAX_FILES_PER_SPLIT, pending.size()));
        while (files.size() < MAX_FILES_PER_SPLIT && !pending.isEmpty()) {
            files.add(pending.poll());
        }
        return new LocalFileSplit("files-" + nextSplitId++, files, 0);
    }
}
