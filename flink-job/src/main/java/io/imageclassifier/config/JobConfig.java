package io.imageclassifier.config;

import java.io.Serializable;

/**
 * The whole job's configuration: built once from flags and environment by {@link JobConfigParser},
 * validated there, and passed (immutable, serializable) to whatever needs a part of it.
 *
 * @param source   which source runs
 * @param local    local directory source settings (used when source is LOCAL)
 * @param pubsub   Pub/Sub source settings, null unless source is PUBSUB
 * @param gcs      Cloud Storage client settings (fetch and gs:// models)
 * @param model    model and classification settings
 * @param output   JSON file and console outputs
 * @param bigquery BigQuery output, null when not requested
 * @param runtime  Flink settings
 * @param backfill listing of a bucket's existing objects (with PUBSUB, or alone as BACKFILL), or null
 */
public record JobConfig(
        SourceKind source,
        LocalSourceConfig local,
        PubSubConfig pubsub,
        GcsConfig gcs,
        ModelSettings model,
        OutputConfig output,
        BigQueryConfig bigquery,
        RuntimeConfig runtime,
        BackfillConfig backfill) implements Serializable {
    public JobConfig {
        ConfigException.require(source != null, "--subscription/--input-dir", "must pick a source");
        ConfigException.require(source != SourceKind.PUBSUB || pubsub != null, "--subscription", "is required");
        ConfigException.require(source != SourceKind.LOCAL || local != null, "--input-dir", "is required");
        ConfigException.require(source != SourceKind.LOCAL || output == null
                        || !LocalPaths.isInside(output.outputDir(), local.inputDir()),
                "--output-dir", output == null ? "" : output.outputDir() + " is inside --input-dir "
                        + local.inputDir() + ": the job would read its own output files back as images");
        ConfigException.require(source != SourceKind.BACKFILL || backfill != null, "--backfill", "is required");
        ConfigException.require(source != SourceKind.LOCAL || backfill == null, "--backfill",
                "gs://... needs cloud mode; in local mode give a directory");
    }
}
