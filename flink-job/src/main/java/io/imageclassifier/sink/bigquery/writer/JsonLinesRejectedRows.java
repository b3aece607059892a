package io.imageclassifier.sink.bigquery.writer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.imageclassifier.record.DeadLetter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Writes rejected rows as dead-letter JSON Lines (the same record format as the job's dead-letter
 * output) to {@code <dir>/bigquery-rejected-<subtask>-<uuid>.jsonl}, through Flink's file systems
 * (local or gs://). The file is created on the first rejected row and flushed after each one.
 */
public final class JsonLinesRejectedRows implements RejectedRowHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private OutputStream out;

    private JsonLinesRejectedRows(Path file) {
        this.file = file;
    }

    /** A factory writing under {@code dir}. */
    public static Factory inDirectory(String dir) {
        return subtask -> new JsonLinesRejectedRows(
                new Path(dir, "bigquery-rejected-" + subtask + "-" + UUID.randomUUID() + ".jsonl"));
    }

    @Override
    public void reject(DeadLetter deadLetter) throws IOException {
        if (out == null) {
            out = file.getFileSystem().create(file, FileSystem.WriteMode.NO_OVERWRITE);
        }
        out.write(JSON.writeValueAsBytes(deadLetter));
        out.write("\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
        }
    }
}
