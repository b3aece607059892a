package io.imageclassifier.sink.bigquery;

import io.imageclassifier.record.Prediction;
import io.imageclassifier.record.TopKEntry;

/** Synthetic prediction rows whose every value derives from an index, so rows read back can be checked. */
public final class TestPredictions {

    /** 2026-11-27T00:00:00Z plus the index in seconds. */
    public static final long BASE_MILLIS = 1_795_737_600_000L;

    private TestPredictions() {}

    public static Prediction prediction(long i) {
        return new Prediction("local", "img-" + i + ".jpg", "image/jpeg", Long.toString(1000 + i),
                "2026-11-27T00:00:00Z", "2026-11-27T00:00:01Z", "label-" + (i % 10), 0.5 + (i % 50) / 100.0,
                "mobilenet", BASE_MILLIS + i * 1000, (int) (i % 1000),
                new TopKEntry[] {new TopKEntry("label-" + (i % 10), (int) (i % 1000), 0.5), new TopKEntry("other", 1, 0.1)},
                "v1", "g" + i, "local");
    }
}
