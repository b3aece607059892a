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
 */
public record JobConfig(
        SourceKind source,
        LocalSourceConfig local,
        PubSubConfig pubsub,
        GcsConfig gcs,
        ModelSettings model,
        OutputConfig output,
        BigQueryConfig bigquery,
        RuntimeConfig runtime) implements Serializable {
    public JobConfig {
        ConfigException.require(source != null, "--subscription/--input-dir", "must pick a source");
        ConfigException.require(source != SourceKind.PUBSUB || pubsub != null, "--subscription", "is required");
        ConfigException.require(source != SourceKind.LOCAL || local != null, "--input-dir", "is required");
        ConfigException.require(source != SourceKind.LOCAL || output == null
                        || !LocalPaths.isInside(output.outputDir(), local.inputDir()),
                "--output-dir", output == null ? "" : output.outputDir() + " is inside --input-dir "
                        + local.inputDir() + ": the job would read its own output files back as images");
    }
}
