package io.imageclassifier.sink.bigquery;

import io.imageclassifier.config.BigQueryConfig;
import io.imageclassifier.record.Prediction;
import io.imageclassifier.sink.bigquery.services.BigQueryServices;
import io.imageclassifier.sink.bigquery.services.GoogleBigQueryServicesFactory;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;

/** Wires the BigQuery output into a pipeline: checks the restart strategy, creates or validates the table, adds the sink. */
public final class BigQueryOutput {

    /** Operator uid of the sink (state compatibility across job versions). */
    public static final String UID = "bigquery-sink";

    private BigQueryOutput() {}

    /** Adds the sink for {@code config}; rejected rows go to dead-letter JSON Lines under {@code deadLetterDir}. */
    public static DataStreamSink<Prediction> attach(DataStream<Prediction> predictions, BigQueryConfig config,
            String deadLetterDir) {
        RestartStrategyCheck.validate(predictions.getExecutionEnvironment().getConfiguration());
        try (BigQueryServices services = new GoogleBigQueryServicesFactory(config).create()) {
            BigQueryTableSetup.ensureTable(services, config);
        }
        return predictions
                .sinkTo(BigQuerySink.builder(config).deadLetterDir(deadLetterDir).build())
                .name("BigQuery " + config.projectId() + "." + config.dataset() + "." + config.table())
                .uid(UID);
    }
}
