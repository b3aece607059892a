package io.imageclassifier.sink.bigquery.writer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imageclassifier.record.DeadLetter;
import io.imageclassifier.sink.bigquery.fake.ObjectStoreFileSystem;
import io.imageclassifier.testing.JsonRows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rejected rows become a visible dead-letter file when published (before each checkpoint), on the
 * local file system and on one that, like gs://, shows an object only once its stream is closed.
 */
class JsonLinesRejectedRowsTest {

    @TempDir Path dir;

    @ParameterizedTest(name = "object store: {0}")
    @ValueSource(booleans = {false, true})
    void rejectionsBecomeAVisibleFileAtEachPublishAndTheNextOnesGoToANewFile(boolean objectStore) throws Exception {
        try (RejectedRowHandler handler = JsonLinesRejectedRows.inDirectory(location(objectStore)).open(3)) {
            handler.reject(deadLetter("a.jpg"));
            assertThat(names()).as("not visible before the checkpoint").isEmpty();

            handler.publish();
            assertThat(names()).containsExactly("a.jpg");
            assertThat(visibleFiles()).singleElement().asString().startsWith("bigquery-rejected-3-").endsWith(".jsonl");

            handler.reject(deadLetter("b.jpg"));
            handler.reject(deadLetter("c.jpg"));
            handler.publish();
            handler.publish(); // nothing new: no empty file
            assertThat(names()).containsExactlyInAnyOrder("a.jpg", "b.jpg", "c.jpg");
            assertThat(visibleFiles()).hasSize(2);
        }
        assertThat(allFiles()).as("nothing left in progress").hasSize(2);
    }

    @ParameterizedTest(name = "object store: {0}")
    @ValueSource(booleans = {false, true})
    void closingWithoutAPublishLeavesNoFile(boolean objectStore) throws Exception {
        RejectedRowHandler handler = JsonLinesRejectedRows.inDirectory(location(objectStore)).open(0);
        handler.reject(deadLetter("a.jpg"));
        handler.close();

        // Rows of an interval no checkpoint covers: the job replays and rejects them again.
        assertThat(allFiles()).isEmpty();
    }

    private String location(boolean objectStore) {
        return objectStore ? ObjectStoreFileSystem.uri(dir) : dir.toString();
    }

    private static DeadLetter deadLetter(String name) {
        return new DeadLetter(name, "row_rejected", "BigQuery p.d.t rejected the row: bad", "local", "g1", "sink", null,
                1L);
    }

    private List<String> names() {
        return JsonRows.read(dir).stream().map(r -> r.get("name")).map(JsonNode::asText).toList();
    }

    private List<String> visibleFiles() throws IOException {
        return allFiles().stream().filter(n -> !n.startsWith(".")).toList();
    }

    private List<String> allFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
