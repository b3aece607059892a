package io.imageclassifier.config;

/** Where object references come from. */
public enum SourceKind {
    /** A local directory, optionally watched for new files. */
    LOCAL,
    /** GCS object-finalize notifications on a Pub/Sub subscription (with a backfill listing, if asked). */
    PUBSUB,
    /** Only the backfill listing of a bucket: bounded, the job finishes when every listed object is classified. */
    BACKFILL
}
