package io.imageclassifier.fetch;

/** A parsed {@code gs://bucket/object} location. */
public record GcsUri(String bucket, String object) {

    public static boolean isGcs(String location) {
        return location != null && location.startsWith("gs://");
    }

    /** Parses {@code gs://bucket/object}; both parts must be non-empty. */
    public static GcsUri parse(String uri) {
        if (!isGcs(uri)) {
            throw new IllegalArgumentException("not a gs:// URI: " + uri);
        }
        String rest = uri.substring("gs://".length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new IllegalArgumentException("gs:// URI needs a bucket and an object name: " + uri);
        }
        return new GcsUri(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /** The last path segment of the object name. */
    public String fileName() {
        return object.substring(object.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return "gs://" + bucket + "/" + object;
    }
}
