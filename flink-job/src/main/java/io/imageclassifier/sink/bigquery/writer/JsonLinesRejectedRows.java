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
 * output) through Flink's file systems (local or gs://). Rows go to a hidden in-progress file;
 * {@link #publish()}, before each checkpoint barrier, closes it and renames it to
 * {@code <dir>/bigquery-rejected-<subtask>-<uuid>.jsonl}, so every rejection a completed checkpoint
 * covers is in a visible file while the job keeps running (on gs:// an object exists only once its
 * stream is closed). The next rejection starts a new file.
 *
 * <p>{@link #close()} without a publish deletes the in-progress file: its rows belong to an interval
 * no checkpoint covers, so they are replayed and rejected again after the restart.
 */
public final class JsonLinesRejectedRows implements RejectedRowHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int subtask;
    private Path inProgress;
    private Path target;
    private OutputStream out;

    private JsonLinesRejectedRows(Path dir, int subtask) {
        this.dir = dir;
        this.subtask = subtask;
    }

    /** A factory writing under {@code dir}. */
    public static Factory inDirectory(String dir) {
        return subtask -> new JsonLinesRejectedRows(new Path(dir), subtask);
    }

    @Override
    public void reject(DeadLetter deadLetter) throws IOException {
        if (out == null) {
            String name = "bigquery-rejected-" + subtask + "-" + UUID.randomUUID() + ".jsonl";
            target = new Path(dir, name);
            inProgress = new Path(dir, "." + name + ".inprogress");
            out = inProgress.getFileSystem().create(inProgress, FileSystem.WriteMode.NO_OVERWRITE);
        }
        out.write(JSON.writeValueAsBytes(deadLetter));
        out.write("\n".getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void publish() throws IOException {
        if (out == null) {
            return;
        }
        out.close();
        out = null;
        if (!target.getFileSystem().rename(inProgress, target)) {
            throw new IOException("cannot publish the rejected BigQuery rows: rename " + inProgress + " to " + target
                    + " failed");
        }
    }

    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
            inProgress.getFileSystem().delete(inProgress, false);
        }
    }
}
