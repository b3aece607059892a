package io.imageclassifier.record;

/**
 * Why an input could not become a prediction. Each code is stable (it lands in dead-letter rows
 * and metric names) and has its own counter.
 */
public enum DeadLetterReason {
    /** Bytes are not a decodable image (corrupt, truncated, text named .jpg). */
    DECODE_ERROR("decode_error"),
    /** Zero-byte object. */
    EMPTY("empty"),
    /** Object larger than the byte limit (checked before reading/decoding). */
    TOO_LARGE("too_large"),
    /**
     * Declared size beyond the limits, checked from the header before decoding: width x height above
     * the pixel limit, an aspect ratio above 100:1, or more decode memory than the budget.
     */
    TOO_MANY_PIXELS("too_many_pixels"),
    /** A recognised container we do not decode, or no decoder claims the bytes. */
    UNSUPPORTED_FORMAT("unsupported_format"),
    /** Top score below --confidence-threshold. */
    BELOW_CONFIDENCE_THRESHOLD("below_confidence_threshold"),
    /** Announced content type is not an image (content-type filter). */
    UNSUPPORTED_CONTENT_TYPE("unsupported_content_type"),
    /** Pub/Sub message that is not a valid GCS notification. */
    MALFORMED_MESSAGE("malformed_message"),
    /** Object (that generation) does not exist any more. */
    NOT_FOUND("not_found"),
    /** No permission to read the object. */
    FORBIDDEN("forbidden"),
    /** Fetch did not finish within its timeout after all retries. */
    FETCH_TIMEOUT("fetch_timeout"),
    /** Fetch failed for another reason after all retries. */
    FETCH_ERROR("fetch_error"),
    /** BigQuery rejected the row. */
    ROW_REJECTED("row_rejected"),
    /** Inference failed. No longer written: a failed model run fails the task (it is never the image's fault). */
    INFERENCE_ERROR("inference_error");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    /** The stable short code written to dead-letter rows. */
    public String code() {
        return code;
    }
}
