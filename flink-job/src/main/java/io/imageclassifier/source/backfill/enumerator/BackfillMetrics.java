package io.imageclassifier.source.backfill.enumerator;

import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.flink.metrics.MetricGroup;

/**
 * The listing's gauges, in group {@value #GROUP} of the source's coordinator (on the JobManager),
 * e.g. {@code <jobmanager>.<job>.<Source: backfill ...>.coordinator.enumerator.backfill.objectsListed}. What a
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

    /**
     * The enumerator each registered group's gauges read. A global failover replaces the enumerator
     * (and its coordinator) but not the coordinator's metric group, which refuses a second gauge of
     * the same name: gauges bound to the first enumerator would show its counts forever. So the
     * gauges are registered once per group and read whichever enumerator registered last. Weak both
     * ways: the gauges (owned by the group) hold the reference, the enumerator holds the group.
     */
    private static final Map<MetricGroup, WeakReference<AtomicReference<Progress>>> CURRENT =
            Collections.synchronizedMap(new WeakHashMap<>());

    private BackfillMetrics() {}

    /** What one enumerator shows. */
    private record Progress(Supplier<ListingCounts> counts, IntSupplier waiting, BooleanSupplier complete) {}

    static void register(MetricGroup coordinatorGroup, Supplier<ListingCounts> counts, IntSupplier waiting,
            BooleanSupplier complete) {
        MetricGroup g = coordinatorGroup.addGroup(GROUP);
        Progress progress = new Progress(counts, waiting, complete);
        synchronized (CURRENT) {
            WeakReference<AtomicReference<Progress>> registered = CURRENT.get(g);
            AtomicReference<Progress> current = registered == null ? null : registered.get();
            if (current != null) {
                current.set(progress);
                return;
            }
            current = new AtomicReference<>(progress);
            CURRENT.put(g, new WeakReference<>(current));
            register(g, current);
        }
    }

    private static void register(MetricGroup g, AtomicReference<Progress> current) {
        g.gauge(LISTED, () -> current.get().counts().get().listed());
        g.gauge(SKIPPED_BY_NAME, () -> current.get().counts().get().skippedByName());
        g.gauge(SKIPPED_CREATED_BEFORE, () -> current.get().counts().get().skippedCreatedBefore());
        g.gauge(ASSIGNED, () -> current.get().counts().get().assigned());
        g.gauge(WAITING, () -> current.get().waiting().getAsInt());
        g.gauge(PAGES, () -> current.get().counts().get().pages());
        g.gauge(COMPLETE, () -> current.get().complete().getAsBoolean() ? 1 : 0);
    }
}
