package io.imageclassifier.source.backfill;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.enumerator.BucketLister;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A bucket in memory, listed in pages like the JSON API: the page token is the index of the next
 * object. Records every token it was asked for; fails every request while {@link #failWith} is set.
 */
final class InMemoryBucketLister implements BucketLister {

    final List<ObjectRef> objects;
    final int pageSize;
    final List<String> requestedTokens = Collections.synchronizedList(new ArrayList<>());
    volatile IOException failWith;

    InMemoryBucketLister(List<ObjectRef> objects, int pageSize) {
        this.objects = List.copyOf(objects);
        this.pageSize = pageSize;
    }

    /** {@code n} objects {@code img-000.jpg ...} in bucket {@code b}, created a day apart from 2026-01-01. */
    static List<ObjectRef> objects(int n) {
        List<ObjectRef> refs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String created = java.time.Instant.parse("2026-01-01T00:00:00.123456Z").plusSeconds(86_400L * i).toString();
            refs.add(new ObjectRef(ObjectRef.SOURCE_GCS, "b", String.format("img-%03d.jpg", i), Long.toString(1000 + i),
                    100 + i, "image/jpeg", created, created, null, 1_795_000_000_000L));
        }
        return refs;
    }

    /** A factory handing out this lister (the enumerator tests run in one JVM: it is never serialized). */
    Factory factory() {
        return () -> this;
    }

    @Override
    public Page list(String pageToken) throws IOException {
        requestedTokens.add(pageToken);
        if (failWith != null) {
            throw failWith;
        }
        int from = pageToken == null ? 0 : Integer.parseInt(pageToken);
        int to = Math.min(objects.size(), from + pageSize);
        return new Page(objects.subList(from, to), to < objects.size() ? Integer.toString(to) : null);
    }

    @Override
    public void close() {}
}
