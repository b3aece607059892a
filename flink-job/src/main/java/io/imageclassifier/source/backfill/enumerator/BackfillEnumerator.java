package io.imageclassifier.source.backfill.enumerator;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.split.BackfillSplit;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.util.FlinkRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the bucket one page at a time on the coordinator's worker thread and hands what it keeps
 * to readers that ask, up to {@link #MAX_OBJECTS_PER_SPLIT} objects per split; when the last page
 * is listed and everything handed out, it tells each reader there is no more.
 *
 * <p>The listing runs only as far ahead of the readers as one page: the next page is requested
 * when fewer than a page of objects wait here. So the checkpointed state stays small (a page
 * token and at most two pages of references) however large the bucket, and the listing goes at
 * the pace the job classifies (or {@code --backfill-rate}). Objects a failed reader had not
 * checkpointed come back through {@link #addSplitsBack} and are handed out first.
 */
public final class BackfillEnumerator implements SplitEnumerator<BackfillSplit, BackfillEnumeratorState> {

    /** Objects per split: as the local source's files per split, one JobManager round trip per 256. */
    public static final int MAX_OBJECTS_PER_SPLIT = 256;

    private static final Logger LOG = LoggerFactory.getLogger(BackfillEnumerator.class);

    private final SplitEnumeratorContext<BackfillSplit> context;
    private final BucketLister.Factory listers;
    private final ListingFilter filter;
    private final String location;
    private final int pageSize;
    private final long progressIntervalMillis;
    private final ArrayDeque<ObjectRef> pending;
    private final Set<Integer> waiting = new LinkedHashSet<>();
    private volatile ListingCounts counts;
    private volatile boolean listingDone;
    private String nextPageToken;
    private long nextSplitId;
    private boolean requestInFlight;
    private boolean finishLogged;
    private BucketLister lister;

    public BackfillEnumerator(SplitEnumeratorContext<BackfillSplit> context, BucketLister.Factory listers,
            ListingFilter filter, String location, int pageSize, long progressIntervalMillis,
            BackfillEnumeratorState state) {
        this.context = context;
        this.listers = listers;
        this.filter = filter;
        this.location = location;
        this.pageSize = pageSize;
        this.progressIntervalMillis = progressIntervalMillis;
        this.pending = new ArrayDeque<>(state.pending());
        this.counts = state.counts();
        this.listingDone = state.listingDone();
        this.nextPageToken = state.nextPageToken();
        this.nextSplitId = state.nextSplitId();
    }

    @Override
    public void start() {
        BackfillMetrics.register(context.metricGroup(), () -> counts, pending::size, () -> listingDone);
        context.callAsync(() -> null, (ignored, error) -> logProgress(), progressIntervalMillis, progressIntervalMillis);
        if (counts.pages() > 0) {
            LOG.info("Backfill of {} resumes: {}", location, progressLine());
        }
        listMore();
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        waiting.add(subtaskId);
        assignToWaiting();
    }

    @Override
    public void addSplitsBack(List<BackfillSplit> splits, int subtaskId) {
        // Back in front, in their order: these were listed first.
        List<ObjectRef> back = new ArrayList<>();
        splits.forEach(s -> back.addAll(s.remaining()));
        for (int i = back.size() - 1; i >= 0; i--) {
            pending.addFirst(back.get(i));
        }
        counts = counts.plusAssigned(-back.size());
        LOG.info("Backfill: {} objects not checkpointed by reader {} are to be handed out again", back.size(), subtaskId);
        assignToWaiting();
    }

    @Override
    public void addReader(int subtaskId) {
        // Readers ask for splits when they have none.
    }

    @Override
    public BackfillEnumeratorState snapshotState(long checkpointId) {
        return new BackfillEnumeratorState(nextPageToken, listingDone, new ArrayList<>(pending), counts, nextSplitId);
    }

    @Override
    public void close() throws IOException {
        if (lister != null) {
            lister.close();
        }
    }

    /** Requests the next page unless the listing is done, a request is out, or a page's worth waits. */
    private void listMore() {
        if (listingDone || requestInFlight || pending.size() >= pageSize) {
            return;
        }
        if (lister == null) {
            lister = listers.create();
        }
        BucketLister l = lister;
        String token = nextPageToken;
        requestInFlight = true;
        context.callAsync(() -> l.list(token), this::onPage);
    }

    private void onPage(BucketLister.Page page, Throwable error) {
        requestInFlight = false;
        if (error != null) {
            throw new FlinkRuntimeException("Backfill listing of " + location + " failed; after a restart it "
                    + "resumes from the last checkpointed page", error);
        }
        int byName = 0;
        int byAge = 0;
        for (ObjectRef ref : page.objects()) {
            switch (filter.check(ref)) {
                case KEEP -> pending.add(ref);
                case SKIP_NAME -> byName++;
                case SKIP_CREATED_BEFORE -> byAge++;
            }
        }
        counts = counts.plusPage(page.objects().size(), byName, byAge);
        nextPageToken = page.nextPageToken();
        if (page.last()) {
            listingDone = true;
            LOG.info("Backfill listing of {} complete: {}", location, progressLine());
        }
        assignToWaiting();
    }

    /** Hands a split to every reader that asked, or the end once everything is out; then lists on. */
    private void assignToWaiting() {
        for (Iterator<Integer> it = waiting.iterator(); it.hasNext(); ) {
            int subtask = it.next();
            if (!context.registeredReaders().containsKey(subtask)) {
                it.remove(); // failed since it asked; it asks again when it is back
            } else if (!pending.isEmpty()) {
                BackfillSplit split = nextSplit();
                context.assignSplit(split, subtask);
                counts = counts.plusAssigned(split.objects().size());
                it.remove();
            } else if (listingDone) {
                context.signalNoMoreSplits(subtask);
                it.remove();
            }
        }
        listMore();
    }

    private BackfillSplit nextSplit() {
        List<ObjectRef> objects = new ArrayList<>(Math.min(MAX_OBJECTS_PER_SPLIT, pending.size()));
        while (objects.size() < MAX_OBJECTS_PER_SPLIT && !pending.isEmpty()) {
            objects.add(pending.poll());
        }
        return new BackfillSplit("backfill-" + nextSplitId++, objects, 0);
    }

    private void logProgress() {
        if (finishLogged) {
            return;
        }
        finishLogged = listingDone && pending.isEmpty();
        LOG.info("Backfill of {}: {}", location, progressLine());
    }

    /** For people: listed, skipped, handed out, waiting. */
    private String progressLine() {
        ListingCounts c = counts;
        return String.format("%d objects listed in %d pages (%s), %d skipped by name, %d created before the cutoff, "
                        + "%d handed to readers, %d waiting", c.listed(), c.pages(),
                listingDone ? "listing complete" : "listing in progress", c.skippedByName(), c.skippedCreatedBefore(),
                c.assigned(), pending.size());
    }
}
