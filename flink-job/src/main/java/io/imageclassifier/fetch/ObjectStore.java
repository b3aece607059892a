package io.imageclassifier.fetch;

import java.io.IOException;

/**
 * The two Cloud Storage calls a fetch makes, behind an interface so the retry and size logic is
 * tested against a fake. Failures are {@link ObjectStoreException}s carrying the HTTP status.
 */
public interface ObjectStore extends AutoCloseable {

    /** Metadata of exactly this generation, or null when it does not exist. */
    ObjectMeta stat(String bucket, String name, long generation) throws ObjectStoreException;

    /** The bytes of exactly this generation. */
    byte[] read(String bucket, String name, long generation) throws ObjectStoreException;

    @Override
    void close() throws IOException;

    /** What the fetch needs to know before downloading. */
    record ObjectMeta(long size, String contentType) {}

    /**
     * A failed call. {@code status} is the HTTP status, or 0 for an I/O error or timeout without one.
     */
    final class ObjectStoreException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final boolean timeout;

        public ObjectStoreException(int status, boolean timeout, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
            this.timeout = timeout;
        }

        public int status() {
            return status;
        }

        /** Whether the call timed out (connect or read). */
        public boolean timeout() {
            return timeout;
        }

        /** 408, 429, 5xx, timeouts and I/O errors without a status are worth another try. */
        public boolean retryable() {
            return timeout || status == 0 || status == 408 || status == 429 || status >= 500;
        }
    }
}
