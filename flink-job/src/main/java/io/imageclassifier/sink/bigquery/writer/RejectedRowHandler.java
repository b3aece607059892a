package io.imageclassifier.sink.bigquery.writer;

import io.imageclassifier.record.DeadLetter;
import java.io.IOException;
import java.io.Serializable;

/**
 * Where the writer puts rows BigQuery rejected (a sink has no side output). Opened once per writer
 * subtask. The writer calls {@link #publish()} before each checkpoint barrier, after every append
 * of the interval is settled: the rejections so far must then be durable and visible. Delivery is
 * at-least-once (a replay after a failure may reject the same row again).
 */
public interface RejectedRowHandler extends AutoCloseable {

    void reject(DeadLetter deadLetter) throws IOException;

    /** Makes every rejection so far durable and visible (called before each checkpoint barrier). */
    void publish() throws IOException;

    /** Releases resources; rejections not yet published belong to an interval no checkpoint covers. */
    @Override
    void close() throws IOException;

    /** Serializable recipe, shipped with the sink. */
    @FunctionalInterface
    interface Factory extends Serializable {
        RejectedRowHandler open(int subtask) throws IOException;
    }
}
