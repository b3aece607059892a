package io.imageclassifier.sink.bigquery.committer;

import com.google.cloud.bigquery.storage.v1.StorageError;
import io.grpc.Status;
import io.imageclassifier.sink.bigquery.services.BigQueryErrors;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A checkpoint's rows could not be proven committed to BigQuery. The committer throws it so that the
 * job fails and restarts from its last completed checkpoint, which still holds the committables:
 * they are committed after the restart, once BigQuery accepts them, never dropped. The message
 * names the table, the streams, BigQuery's error and what to fix; Flink logs it with the failure.
 */
public final class BigQueryCommitException extends IOException {

    private static final long serialVersionUID = 1L;

    private static final String KEPT = " The job fails and restarts from its last checkpoint, which keeps these rows:"
            + " they are committed after the restart, once BigQuery accepts them.";

    private final String table;
    private final List<String> streams;

    private BigQueryCommitException(String table, List<String> streams, String message, Throwable cause) {
        super(message, cause);
        this.table = table;
        this.streams = List.copyOf(streams);
    }

    /** The table, as {@code PROJECT.DATASET.TABLE}. */
    public String table() {
        return table;
    }

    /** The streams whose commit is not proven. */
    public List<String> streams() {
        return streams;
    }

    /** A call failed with an error retrying cannot fix (permission, missing table or stream, bad request...). */
    static BigQueryCommitException refused(String tablePath, String action, List<String> streams, RuntimeException error,
            Optional<String> principal) {
        String table = displayName(tablePath);
        return new BigQueryCommitException(table, streams, "BigQuery refused to " + action + " " + streamsText(streams)
                + " of table " + table + ": " + BigQueryErrors.describe(error) + "."
                + fix(BigQueryErrors.code(error), table, principal) + KEPT, error);
    }

    /** A transient error outlasted the retry budget. */
    static BigQueryCommitException retriesExhausted(String tablePath, String action, List<String> streams, int attempts,
            Duration elapsed, RuntimeException last) {
        String table = displayName(tablePath);
        return new BigQueryCommitException(table, streams, "BigQuery kept failing to " + action + " " + streamsText(streams)
                + " of table " + table + " (" + attempts + " attempts over " + elapsed.toSeconds() + " s); last error: "
                + BigQueryErrors.describe(last) + "." + KEPT, last);
    }

    /** BatchCommitWriteStreams reported stream errors other than STREAM_ALREADY_COMMITTED: nothing was committed. */
    static BigQueryCommitException streamErrors(String tablePath, List<StorageError> errors) {
        String table = displayName(tablePath);
        String list = errors.stream().map(e -> e.getEntity() + ": " + e.getCode() + " " + e.getErrorMessage())
                .collect(Collectors.joining("; "));
        return new BigQueryCommitException(table, errors.stream().map(StorageError::getEntity).toList(),
                "BigQuery refused to commit to table " + table + ": " + list + "." + KEPT, null);
    }

    /** An answer that proves nothing (a short stream, a reply with neither commit time nor errors). */
    static BigQueryCommitException unproven(String tablePath, List<String> streams, String what) {
        String table = displayName(tablePath);
        return new BigQueryCommitException(table, streams, "BigQuery table " + table + ", " + streamsText(streams) + ": "
                + what + ", so the rows are not known to be committed." + KEPT, null);
    }

    /** {@code projects/P/datasets/D/tables/T} as {@code P.D.T}. */
    static String displayName(String tablePath) {
        String[] p = tablePath.split("/");
        return p.length == 6 ? p[1] + "." + p[3] + "." + p[5] : tablePath;
    }

    private static String streamsText(List<String> streams) {
        return streams.size() == 1 ? "stream " + streams.get(0) : streams.size() + " streams " + streams;
    }

    private static String fix(Status.Code code, String table, Optional<String> principal) {
        if (code == null) {
            return "";
        }
        return switch (code) {
            case PERMISSION_DENIED -> " To fix: grant roles/bigquery.dataEditor on table " + table + " (or its dataset) to "
                    + principal.orElse("the job's service account") + ".";
            case UNAUTHENTICATED -> " To fix: give the job valid credentials (Application Default Credentials).";
            case NOT_FOUND -> " To fix: make sure table " + table + " exists. A deleted table takes its uncommitted"
                    + " streams with it: their rows cannot be committed any more (they are in the JSON Lines predictions).";
            default -> "";
        };
    }
}
