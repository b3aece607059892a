package io.imageclassifier.record;

/**
 * One version of one stored object: what a source emits, what dedupe keys on and what a fetcher
 * reads. Carries a reference, never the bytes, so checkpoints of in-flight fetches stay small.
 *
 * @param source       where it came from: {@code local} or {@code gcs}
 * @param bucket       GCS bucket; {@code local} in local mode
 * @param name         object name; in local mode the path relative to the input directory
 * @param version      GCS generation; locally {@code <mtimeMillis>-<size>}
 * @param size         object size in bytes as announced by the source, -1 when unknown
 * @param contentType  announced content type, may be null
 * @param timeCreated  RFC 3339 creation time, may be null
 * @param updated      RFC 3339 last-update time, may be null
 * @param messageId    Pub/Sub message id that announced it, null locally
 * @param seenAtMillis wall-clock time the source first saw it (latency and event_time)
 */
public record ObjectRef(
        String source,
        String bucket,
        String name,
        String version,
        long size,
        String contentType,
        String timeCreated,
        String updated,
        String messageId,
        long seenAtMillis) {

    public static final String SOURCE_LOCAL = "local";
    public static final String SOURCE_GCS = "gcs";

    /** The dedupe key: {@code bucket/name#version}. */
    public String key() {
        return bucket + "/" + name + "#" + version;
    }
}
