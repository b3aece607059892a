package io.imageclassifier.source.backfill.enumerator;

import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.flink.metrics.MetricGroup;

/**
 * The listing's gauges, in group {@value #GROUP} of the source's coordinator (on the JobManager),
 * e.g. {@code <jobmanager>.<job>.<Source: backfill ...>.coordinator.backfill.objectsListed}. What a
 * reader still has to emit is each reader's standard {@code pendingRecords}; what was classified,
 * the {@code classify} operator's {@code imagesClassified}.
 */
public final class BackfillMetrics {
    public static final String GROUP = "backfill";
    /** Objects the listing returned so far. */
    public static final String LISTED = "objectsListed";
    /** Listed objects whose name is outside {@code --name-suffix}. */
    public static final String SKIPPED_BY_NAME = "objectsSkippedByName";
    /** Listed object versions created before {@code --backfill-created-after}. */
    public static final String SKIPPED_CREATED_BEFORE = "objectsSkippedCreatedBefore";
    /** Objects handed to readers. */
    public static final String ASSIGNED = "objectsAssigned";
    /** Objects listed and kept but not handed to a reader yet. */
    public static final String WAITING = "objectsWaiting";
    /** List requests answered. */
    public static final String PAGES = "pagesListed";
    /** 1 once the last page has been listed, else 0. */
    public static final String COMPLETE = "listingComplete";

    private BackfillMetrics() {}

    static void register(MetricGroup coordinatorGroup, Supplier<ListingCounts> counts, IntSupplier waiting,
            BooleanSupplier complete) {
        MetricGroup g = coordinatorGroup.addGroup(GROUP);
        g.gauge(LISTED, () -> counts.get().listed());
        g.gauge(SKIPPED_BY_NAME, () -> counts.get().skippedByName());
        g.gauge(SKIPPED_CREATED_BEFORE, () -> counts.get().skippedCreatedBefore());
        g.gauge(ASSIGNED, () -> counts.get().assigned());
        g.gauge(WAITING, waiting::getAsInt);
        g.gauge(PAGES, () -> counts.get().pages());
        g.gauge(COMPLETE, () -> complete.getAsBoolean() ? 1 : 0);
    }
}
