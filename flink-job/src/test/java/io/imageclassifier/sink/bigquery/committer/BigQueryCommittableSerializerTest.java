package io.imageclassifier.sink.bigquery.committer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class BigQueryCommittableSerializerTest {

    private final BigQueryCommittableSerializer serializer = new BigQueryCommittableSerializer();

    @Test
    void roundTripsACommittable() throws IOException {
        BigQueryCommittable c = new BigQueryCommittable("projects/p/datasets/d/tables/t", "projects/p/datasets/d/tables/t/streams/s1", 42);
        assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize(c))).isEqualTo(c);
    }

    @Test
    void refusesAnUnknownVersion() {
        assertThatThrownBy(() -> serializer.deserialize(99, new byte[0])).isInstanceOf(IOException.class)
                .hasMessageContaining("version 99");
    }
}
