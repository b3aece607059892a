package io.imageclassifier.source.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.record.ObjectRef;
import io.imageclassifier.source.backfill.enumerator.BackfillEnumerator;
import io.imageclassifier.source.backfill.enumerator.BackfillEnumeratorState;
import io.imageclassifier.source.backfill.enumerator.BackfillEnumeratorStateSerializer;
import io.imageclassifier.source.backfill.enumerator.ListingFilter;
import io.imageclassifier.source.backfill.split.BackfillSplit;
import io.imageclassifier.source.notification.ObjectFilter;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.junit.jupiter.api.Test;

/**
 * The backfill enumerator on Flink's {@link TestingSplitEnumeratorContext} (its async calls run
 * when the test triggers them) over a bucket in memory.
 */
class BackfillEnumeratorTest {

    private static final ListingFilter ALL = new ListingFilter(new ObjectFilter("image/", "", ""), null);

    @Test
    void listsEveryPageAndHandsOutEveryObjectOnceInListingOrderThenSignalsTheEnd() {
        InMemoryBucketLister bucket = new InMemoryBucketLister(InMemoryBucketLister.objects(25), 10);
        TestingSplitEnumeratorContext<BackfillSplit> context = context(2);
        BackfillEnumerator enumerator = enumerator(context, bucket, ALL, BackfillEnumeratorState.initial());
        enumerator.start();
        enumerator.handleSplitRequest(0, "host"); // before any page: served when one arrives
        assertThat(assigned(context, 0)).isEmpty();

        List<String> names = drain(context, enumerator, 0, 1);

        assertThat(names).hasSize(25).doesNotHaveDuplicates().isSorted();
        assertThat(bucket.requestedTokens).containsExactly(null, "10", "20");
        assertThat(context.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal()).isTrue();
        assertThat(context.getSplitAssignments().get(1).hasReceivedNoMoreSplitsSignal()).isTrue();
        BackfillEnumeratorState end = enumerator.snapshotState(9);
        assertThat(end.listingDone()).isTrue();
        assertThat(end.pending()).isEmpty();
        assertThat(end.counts().pages()).isEqualTo(3);
        assertThat(end.counts().listed()).isEqualTo(25);
        assertThat(end.counts().assigned()).isEqualTo(25);
    }

    @Test
    void staysAboutAPageAheadOfTheReadersSoItsStateStaysSmall() {
        InMemoryBucketLister bucket = new InMemoryBucketLister(InMemoryBucketLister.objects(100), 10);
        TestingSplitEnumeratorContext<BackfillSplit> context = context(1);
        BackfillEnumerator enumerator = enumerator(context, bucket, ALL, BackfillEnumeratorState.initial());
        enumerator.start();
        context.triggerAllActions();
        context.triggerAllActions();
        assertThat(bucket.requestedTokens).containsExactly((String) null); // a page waits: no more listing
        assertThat(enumerator.snapshotState(1).pending()).hasSize(10);

        enumerator.handleSplitRequest(0, "host"); // takes the page: the next one is listed
        context.triggerAllActions();
        assertThat(bucket.requestedTokens).containsExactly(null, "10");
        assertThat(assigned(context, 0)).singleElement().satisfies(s -> assertThat(s.objects()).hasSize(10));
        assertThat(enumerator.snapshotState(2).pending()).hasSize(10);
        assertThat(enumerator.snapshotState(2).listingDone()).isFalse();
    }

    @Test
    void aRestoredEnumeratorListsOnFromTheCheckpointedPageWithWhatItHadNotHandedOut() throws IOException {
        InMemoryBucketLister bucket = new InMemoryBucketLister(InMemoryBucketLister.objects(40), 10);
        TestingSplitEnumeratorContext<BackfillSplit> context = context(1);
        BackfillEnumerator enumerator = enumerator(context, bucket, ALL, BackfillEnumeratorState.initial());
        enumerator.start();
        context.triggerAllActions();
        enumerator.handleSplitRequest(0, "host");
        context.triggerAllActions(); // page 2 listed, waiting
        List<String> before = names(assigned(context, 0));
        BackfillEnumeratorState checkpoint = roundTrip(enumerator.snapshotState(1));
        assertThat(checkpoint.nextPageToken()).isEqualTo("20");
        assertThat(checkpoint.pending()).hasSize(10);

        enumerator.handleSplitRequest(0, "host"); // after the checkpoint: lost with the failure
        context.triggerAllActions();

        InMemoryBucketLister sameBucket = new InMemoryBucketLister(bucket.objects, 10);
        TestingSplitEnumeratorContext<BackfillSplit> restoredContext = context(1);
        BackfillEnumerator restored = enumerator(restoredContext, sameBucket, ALL, checkpoint);
        restored.start();
        List<String> after = drain(restoredContext, restored, 0);

        assertThat(sameBucket.requestedTokens).containsExactly("20", "30");
        List<String> all = new ArrayList<>(before);
        all.addAll(after);
        assertThat(all).containsExactlyElementsOf(names(bucket.objects));
        assertThat(assigned(restoredContext, 0).get(0).splitId()).isNotEqualTo(assigned(context, 0).get(0).splitId());
    }

    @Test
    void aRestoredFinishedBackfillListsNothingAndEndsAtOnce() {
        InMemoryBucketLister bucket = new InMemoryBucketLister(InMemoryBucketLister.objects(5), 10);
        BackfillEnumeratorState finished = new BackfillEnumeratorState(null, true, List.of(),
                new io.imageclassifier.source.backfill.enumerator.ListingCounts(1, 5, 0, 0, 5), 1);
        TestingSplitEnumeratorContext<BackfillSplit> context = context(1);
        BackfillEnumerator enumerator = enumerator(context, bucket, ALL, finished);
        enumerator.start();
        context.triggerAllActions();
        enumerator.handleSplitRequest(0, "host");

        assertThat(bucket.requestedTokens).isEmpty();
        assertThat(assigned(context, 0)).isEmpty();
        assertThat(context.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal()).isTrue();
    }

    @Test
    void objectsAReaderHadNotCheckpointedAreHandedOutAgainFirst() {
        InMemoryBucketLister bucket = new InMemoryBucketLister(InMemoryBucketLister.objects(30), 10);
        TestingSplitEnumeratorContext<BackfillSplit> context = context(2);
        BackfillEnumerator enumerator = enumerator(context, bucket, ALL, BackfillEnumeratorState.initial());
        enumerator.start();
        context.triggerAllActions();
        enumerator.handleSplitRequest(0, "host");
        context.triggerAllActions();
        BackfillSplit first = assigned(context, 0).get(0);

        enumerator.addSplitsBack(List.of(first.withEmitted(4)), 0);
        enumerator.handleSplitRequest(1, "host");

        assertThat(names(assigned(context, 1).get(0).objects()))
                .containsExactlyElementsOf(names(bucket.objects.subList(4, 20)));
        assertThat(enumerator.snapshotState(3).counts().assigned()).isEqualTo(10 - 6 + 16);
    }

    @Test
    void skipsNamesOutsideTheSuffixAndVersionsCreatedBeforeTheCutoffAndCountsThem() {
        List<ObjectRef> objects = new ArrayList<>(InMemoryBucketLister.objects(20));
        ObjectRef text = objects.get(3);
        objects.set(3, new ObjectRef(text.source(), text.bucket(), "img-003.txt", text.version(), text.size(),
                "text/plain", text.timeCreated(), text.updated(), null, text.seenAtMillis()));
        InMemoryBucketLister bucket = new InMemoryBucketLister(objects, 10);
        // img-010 was created on 2026-01-11T00:00:00.123456Z: the cutoff is a microsecond before it.
        ListingFilter filter = new ListingFilter(new ObjectFilter("image/", "", ".jpg"),
                Instant.parse("2026-01-11T00:00:00.123455Z"));
        TestingSplitEnumeratorContext<BackfillSplit> context = context(1);
        BackfillEnumerator enumerator = enumerator(context, bucket, filter, BackfillEnumeratorState.initial());
        enumerator.start();

        List<String> names = drain(context, enumerator, 0);

        assertThat(names).containsExactlyElementsOf(names(objects.subList(10, 20)));
        BackfillEnumeratorState end = enumerator.snapshotState(1);
        assertThat(end.counts().listed()).isEqualTo(20);
        assertThat(end.counts().skippedByName()).isEqualTo(1);
        assertThat(end.counts().skippedCreatedBefore()).isEqualTo(9);
    }

    @Test
    void aFailedListingFailsTheJobNamingTheBucket() {
        InMemoryBucketLister bucket = new InMemoryBucketLister(InMemoryBucketLister.objects(5), 10);
        bucket.failWith = new IOException("listing gs://b/ failed: HTTP 404 {\"error\":\"Not Found\"}");
        TestingSplitEnumeratorContext<BackfillSplit> context = context(1);
        BackfillEnumerator enumerator = enumerator(context, bucket, ALL, BackfillEnumeratorState.initial());
        enumerator.start();

        assertThatThrownBy(context::triggerAllActions)
                .hasStackTraceContaining("Backfill listing of gs://b/ failed")
                .hasStackTraceContaining("HTTP 404");
    }

    // ---- helpers

    private static BackfillEnumerator enumerator(TestingSplitEnumeratorContext<BackfillSplit> context,
            InMemoryBucketLister bucket, ListingFilter filter, BackfillEnumeratorState state) {
        return new BackfillEnumerator(context, bucket.factory(), filter, "gs://b/", bucket.pageSize, 60_000, state);
    }

    /** Readers {@code readers} ask in turn until each was told the end; returns every name handed out. */
    private static List<String> drain(TestingSplitEnumeratorContext<BackfillSplit> context,
            BackfillEnumerator enumerator, int... readers) {
        for (int round = 0; round < 100; round++) {
            context.triggerAllActions();
            boolean allEnded = true;
            for (int r : readers) {
                var reader = context.getSplitAssignments().get(r);
                if (reader == null || !reader.hasReceivedNoMoreSplitsSignal()) {
                    enumerator.handleSplitRequest(r, "host");
                    allEnded = false;
                }
            }
            if (allEnded) {
                List<String> names = new ArrayList<>();
                Arrays.stream(readers).forEach(r -> names.addAll(names(assigned(context, r))));
                names.sort(null);
                return names;
            }
        }
        throw new AssertionError("the enumerator never signalled the end");
    }

    private static List<BackfillSplit> assigned(TestingSplitEnumeratorContext<BackfillSplit> context, int reader) {
        var assignment = context.getSplitAssignments().get(reader);
        return assignment == null ? List.of() : assignment.getAssignedSplits();
    }

    private static List<String> names(List<?> splitsOrRefs) {
        List<String> names = new ArrayList<>();
        for (Object o : splitsOrRefs) {
            if (o instanceof BackfillSplit s) {
                s.objects().forEach(r -> names.add(r.name()));
            } else {
                names.add(((ObjectRef) o).name());
            }
        }
        return names;
    }

    private static BackfillEnumeratorState roundTrip(BackfillEnumeratorState state) throws IOException {
        BackfillEnumeratorStateSerializer s = BackfillEnumeratorStateSerializer.INSTANCE;
        return s.deserialize(s.getVersion(), s.serialize(state));
    }

    private static TestingSplitEnumeratorContext<BackfillSplit> context(int readers) {
        TestingSplitEnumeratorContext<BackfillSplit> context = new TestingSplitEnumeratorContext<>(readers);
        for (int i = 0; i < readers; i++) {
            context.registerReader(i, "host");
        }
        return context;
    }
}
