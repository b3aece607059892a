package io.imageclassifier.source.backfill.enumerator;

import io.imageclassifier.record.ObjectRef;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/**
 * Lists one bucket prefix page by page: the enumerator's only contact with Cloud Storage, so its
 * tests can list from memory. Used from the enumerator's worker thread only.
 */
public interface BucketLister extends AutoCloseable {

    /** One page of the listing: the references of its objects, and where the next page starts. */
    record Page(List<ObjectRef> objects, String nextPageToken) {
        public Page {
            objects = List.copyOf(objects);
        }

        /** Whether this was the last page. */
        public boolean last() {
            return nextPageToken == null;
        }
    }

    /**
     * The page starting at {@code pageToken} (null: the first page). Transient failures are retried
     * inside; what is thrown is permanent, or transient for longer than the retries allow.
     */
    Page list(String pageToken) throws IOException;

    @Override
    void close() throws IOException;

    /** Creates the lister on the JobManager, from settings that travel with the job graph. */
    @FunctionalInterface
    interface Factory extends Serializable {
        BucketLister create();
    }
}
