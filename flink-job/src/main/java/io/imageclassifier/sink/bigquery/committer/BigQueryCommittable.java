package io.imageclassifier.sink.bigquery.committer;

/**
 * One PENDING write stream ready to be committed: what a writer hands to the committer per
 * checkpoint, and what the committer keeps in Flink state until the commit succeeded.
 *
 * @param tablePath  {@code projects/P/datasets/D/tables/T}
 * @param streamName the PENDING stream holding the checkpoint's rows
 * @param rowCount   rows appended to it (checked against the finalized row count)
 */
public record BigQueryCommittable(String tablePath, String streamName, long rowCount) {}
