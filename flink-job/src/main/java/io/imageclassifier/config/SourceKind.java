package io.imageclassifier.config;

/** Where object references come from. */
public enum SourceKind {
    /** A local directory, optionally watched for new files. */
    LOCAL,
    /** GCS object-finalize notifications on a Pub/Sub subscription. */
    PUBSUB
}
