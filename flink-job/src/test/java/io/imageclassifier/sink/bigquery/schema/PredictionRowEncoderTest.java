package io.imageclassifier.sink.bigquery.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.DynamicMessage;
import io.imageclassifier.sink.bigquery.TestPredictions;
import java.util.List;
import org.junit.jupiter.api.Test;

class PredictionRowEncoderTest {

    private final PredictionRowEncoder encoder = new PredictionRowEncoder();

    @Test
    void encodesEveryColumnWithTimestampAsEpochMicros() throws Exception {
        DynamicMessage row = DynamicMessage.parseFrom(encoder.descriptor(), encoder.encode(TestPredictions.prediction(7)));

        assertThat(value(row, "name")).isEqualTo("img-7.jpg");
        assertThat(value(row, "contenttype")).isEqualTo("image/jpeg");
        assertThat(value(row, "size")).isEqualTo("1007");
        assertThat((double) value(row, "score")).isCloseTo(0.57, within(1e-9));
        assertThat(value(row, "event_time")).isEqualTo((TestPredictions.BASE_MILLIS + 7000) * 1000);
        assertThat(value(row, "label_index")).isEqualTo(7L);
        assertThat((List<?>) value(row, "top_k")).hasSize(2);
        assertThat(value(row, "model_version")).isEqualTo("v1");
    }

    @Test
    void writerSchemaListsSeedColumnsFirst() {
        assertThat(encoder.protoSchema().getProtoDescriptor().getFieldList()).extracting(f -> f.getName())
                .startsWith("bucket", "name", "contenttype", "size", "timecreated", "updated", "label", "score",
                        "model_name", "event_time");
    }

    private static Object value(DynamicMessage row, String field) {
        return row.getField(row.getDescriptorForType().findFieldByName(field));
    }
}
