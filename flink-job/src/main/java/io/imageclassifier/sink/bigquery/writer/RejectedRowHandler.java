package io.imageclassifier.sink.bigquery.writer;

import io.imageclassifier.record.DeadLetter;
import java.io.IOException;
import java.io.Serializable;

/**
 * Where the writer puts rows BigQuery rejected (a sink has no side output). Opened once per writer
 * subtask; delivery is at-least-once (a replay after a failure may reject the same row again).
 */
public interface RejectedRowHandler extends AutoCloseable {

    void reject(DeadLetter deadLetter) throws IOException;

    @Override
    void close() throws IOException;

    /** Serializable recipe, shipped with the sink. */
    @FunctionalInterface
    interface Factory extends Serializable {
        RejectedRowHandler open(int subtask) throws IOException;
    }
}
