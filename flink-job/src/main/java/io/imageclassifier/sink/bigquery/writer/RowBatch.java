package io.imageclassifier.sink.bigquery.writer;

import com.google.cloud.bigquery.storage.v1.ProtoRows;
import com.google.protobuf.ByteString;
import io.imageclassifier.record.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Rows of one AppendRows request, with the predictions they came from (for dead letters). */
final class RowBatch {

    private final List<Prediction> predictions = new ArrayList<>();
    private final List<ByteString> rows = new ArrayList<>();
    private long bytes;

    void add(Prediction prediction, ByteString row) {
        predictions.add(prediction);
        rows.add(row);
        bytes += row.size();
    }

    int size() {
        return rows.size();
    }

    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    Prediction prediction(int index) {
        return predictions.get(index);
    }

    ProtoRows toProtoRows() {
        return ProtoRows.newBuilder().addAllSerializedRows(rows).build();
    }

    /** A batch without the rows at {@code indexes}. */
    RowBatch without(Set<Integer> indexes) {
        RowBatch kept = new RowBatch();
        for (int i = 0; i < rows.size(); i++) {
            if (!indexes.contains(i)) {
                kept.add(predictions.get(i), rows.get(i));
            }
        }
        return kept;
    }
}
