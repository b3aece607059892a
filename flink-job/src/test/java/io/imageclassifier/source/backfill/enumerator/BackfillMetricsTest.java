package io.imageclassifier.source.backfill.enumerator;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.testutils.MetricListener;
import org.apache.flink.runtime.metrics.groups.InternalSplitEnumeratorMetricGroup;
import org.junit.jupiter.api.Test;

/**
 * The listing's gauges across a global failover, which replaces the enumerator but keeps the
 * coordinator's metric group (and the gauges first registered in it).
 */
class BackfillMetricsTest {

    @Test
    void afterAGlobalFailoverTheGaugesShowTheRestoredEnumeratorNotTheFailedOne() {
        MetricListener coordinator = new MetricListener();
        ListingCounts failed = new ListingCounts(3, 30, 1, 0, 20);
        BackfillMetrics.register(new InternalSplitEnumeratorMetricGroup(coordinator.getMetricGroup()),
                () -> failed, () -> 10, () -> false);
        Gauge<Long> listed = coordinator.<Long>getGauge("enumerator", BackfillMetrics.GROUP, BackfillMetrics.LISTED)
                .orElseThrow();
        Gauge<Integer> complete = coordinator.<Integer>getGauge("enumerator", BackfillMetrics.GROUP,
                BackfillMetrics.COMPLETE).orElseThrow();
        assertThat(listed.getValue()).isEqualTo(30);

        // The restored enumerator, on a new context over the same coordinator metric group.
        ListingCounts restored = new ListingCounts(5, 50, 1, 0, 45);
        BackfillMetrics.register(new InternalSplitEnumeratorMetricGroup(coordinator.getMetricGroup()),
                () -> restored, () -> 5, () -> true);

        assertThat(listed.getValue()).isEqualTo(50);
        assertThat(complete.getValue()).isEqualTo(1);
        assertThat(coordinator.<Integer>getGauge("enumerator", BackfillMetrics.GROUP, BackfillMetrics.WAITING)
                .orElseThrow().getValue()).isEqualTo(5);
    }
}
