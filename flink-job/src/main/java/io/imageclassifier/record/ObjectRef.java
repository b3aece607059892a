package io.imageclassifier.record;

/**
 * One version of one stored object: what a source emits, what dedupe keys on and what a fetcher
 * reads. Carries a reference, never the bytes, so checkpoints of in-flight fetches stay small.
 *
 * @param source       where it lives: {@code local} or {@code gcs}; a replay of a dead letter adds
 *                     {@code ;replay=ID} (see {@link #replay}) 
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
    private static final String REPLAY = ";replay=";

    /**
     * The dedupe key: {@code bucket/name#version}, and {@code #replay=ID} for a replay, so that
     * dedupe lets each replay of a dead letter through once although the object version was seen.
     */
    public String key() {
        String replayId = replayId();
        return bucket + "/" + name + "#" + version + (replayId == null ? "" : "#replay=" + replayId);
    }

    /** Where the object lives, {@code local} or {@code gcs}, without a replay mark. */
    public String origin() {
        int at = source.indexOf(REPLAY);
        return at < 0 ? source : source.substring(0, at);
    }

    /** The replay id, or null when this reference is not a replay of a dead letter. */
    public String replayId() {
        int at = source.indexOf(REPLAY);
        return at < 0 ? null : source.substring(at + REPLAY.length());
    }

    /**
     * This reference as replay {@code replayId} of a dead letter. The mark lives in {@code source}
     * rather than a field of its own so that the serialized form, which the fetch operator keeps
     * in checkpoints, stays readable as it is (StateContractTest).
     */
    public ObjectRef replay(String replayId) {
        if (replayId == null || !replayId.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("a replay id is 1-64 letters, digits, '-' or '_': " + replayId);
        }
        return new ObjectRef(origin() + REPLAY + replayId, bucket, name, version, size, contentType, timeCreated,
                updated, messageId, seenAtMillis);
    }
}
