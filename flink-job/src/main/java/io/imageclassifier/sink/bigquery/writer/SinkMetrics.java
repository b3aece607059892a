package io.imageclassifier.sink.bigquery.writer;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The writer's metrics. Besides Flink's standard {@code numRecordsSend}/{@code numRecordsOutErrors},
 * under group {@value #GROUP} of the sink writer operator:
 * <ul>
 *   <li>{@code <operator>.bigquery.rowsAppended}: rows acknowledged by AppendRows (PENDING: not yet visible)</li>
 *   <li>{@code <operator>.bigquery.rowsRetried}: rows re-sent after a transient error</li>
 *   <li>{@code <operator>.bigquery.rowsAlreadyPresent}: rows a re-send found already written (OFFSET_ALREADY_EXISTS)</li>
 *   <li>{@code <operator>.bigquery.rowsRejected}: rows BigQuery rejected, sent to the dead-letter output</li>
 *   <li>{@code <operator>.bigquery.appendLatencyMs}: histogram of AppendRows round trips</li>
 * </ul>
 * Rows committed are counted by the committer ({@code <committer>.bigquery.rowsCommitted}).
 */
public final class SinkMetrics {

    public static final String GROUP = "bigquery";
    public static final String ROWS_APPENDED = "rowsAppended";
    public static final String ROWS_RETRIED = "rowsRetried";
    public static final String ROWS_ALREADY_PRESENT = "rowsAlreadyPresent";
    public static final String ROWS_REJECTED = "rowsRejected";
    public static final String APPEND_LATENCY = "appendLatencyMs";

    final Counter appended;
    final Counter retried;
    final Counter alreadyPresent;
    final Counter rejected;
    final Histogram appendLatency;
    final Counter recordsSend;
    final Counter recordsOutErrors;

    public SinkMetrics(SinkWriterMetricGroup operatorGroup) {
        MetricGroup group = operatorGroup.addGroup(GROUP);
        appended = group.counter(ROWS_APPENDED);
        retried = group.counter(ROWS_RETRIED);
        alreadyPresent = group.counter(ROWS_ALREADY_PRESENT);
        rejected = group.counter(ROWS_REJECTED);
        appendLatency = group.histogram(APPEND_LATENCY, new DescriptiveStatisticsHistogram(1000));
        recordsSend = operatorGroup.getNumRecordsSendCounter();
        recordsOutErrors = operatorGroup.getNumRecordsOutErrorsCounter();
    }
}
