package io.imageclassifier.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.source.local.enumerator.DirectoryLister;
import io.imageclassifier.source.local.enumerator.LocalDirectoryEnumerator;
import io.imageclassifier.source.local.enumerator.LocalEnumeratorState;
import io.imageclassifier.source.local.enumerator.LocalEnumeratorStateSerializer;
import io.imageclassifier.source.local.split.LocalFile;
import io.imageclassifier.source.local.split.LocalFileSplit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryEnumeratorTest {

    @TempDir
    Path dir;

    @Test
    void boundedListsOnceHandsOutEveryVisibleFileOnceInBatchesThenSignalsTheEnd() throws IOException {
        for (int i = 0; i < 600; i++) {
            Files.writeString(dir.resolve(String.format("img-%03d.jpg", i)), "x");
        }
        Files.createDirectories(dir.resolve("sub/deeper"));
        Files.writeString(dir.resolve("sub/deeper/nested.jpg"), "x");
        Files.writeString(dir.resolve(".partial.jpg"), "x");
        Files.writeString(dir.resolve("_copying.jpg"), "x");
        Files.createDirectories(dir.resolve(".cache"));
        Files.writeString(dir.resolve(".cache/hidden.jpg"), "x");

        TestingSplitEnumeratorContext<LocalFileSplit> context = context(2);
        LocalDirectoryEnumerator enumerator = bounded(context, LocalEnumeratorState.empty());
        enumerator.start();
        enumerator.handleSplitRequest(0, "host"); // before the listing ran: served once it has
        assertThat(context.getSplitAssignments()).isEmpty();
        context.triggerAllActions();

        List<String> names = new ArrayList<>();
        int requests = 1;
        while (!context.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal()) {
            assertThat(requests).isLessThan(10);
            enumerator.handleSplitRequest(0, "host");
            requests++;
        }
        for (LocalFileSplit s : context.getSplitAssignments().get(0).getAssignedSplits()) {
            assertThat(s.files()).hasSizeLessThanOrEqualTo(LocalDirectoryEnumerator.MAX_FILES_PER_SPLIT);
            assertThat(s.emitted()).isZero();
            s.files().forEach(f -> names.add(f.name()));
        }
        assertThat(context.getSplitAssignments().get(0).getAssignedSplits()).hasSize(3); // 256 + 256 + 89
        assertThat(names).hasSize(601).doesNotHaveDuplicates()
                .contains("sub/deeper/nested.jpg", "img-000.jpg", "img-599.jpg")
                .noneMatch(n -> n.contains(".partial") || n.contains("_copying") || n.contains("hidden"));
        assertThat(names.subList(0, 600)).isSorted();

        enumerator.handleSplitRequest(1, "host");
        assertThat(context.getSplitAssignments().get(1).getAssignedSplits()).isEmpty();
        assertThat(context.getSplitAssignments().get(1).hasReceivedNoMoreSplitsSignal()).isTrue();
    }

    @Test
    void continuousEmitsNewAndChangedFilesAndForgetsDeletedOnes() throws IOException {
        Files.writeString(dir.resolve("a.jpg"), "a");
        Files.writeString(dir.resolve("b.jpg"), "b");
        TestingSplitEnumeratorContext<LocalFileSplit> context = context(1);
        LocalDirectoryEnumerator enumerator = new LocalDirectoryEnumerator(context,
                new DirectoryLister(dir.toString()), false, 1000, LocalEnumeratorState.empty());
        enumerator.start();
        context.getExecutorService().triggerPeriodicScheduledTasks();
        context.triggerAllActions();
        enumerator.handleSplitRequest(0, "host");
        assertThat(lastSplitNames(context)).containsExactly("a.jpg", "b.jpg");

        enumerator.handleSplitRequest(0, "host"); // waits: nothing new yet
        assertThat(context.getSplitAssignments().get(0).getAssignedSplits()).hasSize(1);

        Files.writeString(dir.resolve("c.jpg"), "c");
        Files.writeString(dir.resolve("a.jpg"), "a, rewritten");
        Files.delete(dir.resolve("b.jpg"));
        listAgain(context);
        assertThat(context.getSplitAssignments().get(0).getAssignedSplits()).hasSize(2);
        assertThat(lastSplitNames(context)).containsExactly("a.jpg", "c.jpg");

        listAgain(context); // unchanged: nothing
        enumerator.handleSplitRequest(0, "host");
        assertThat(context.getSplitAssignments().get(0).getAssignedSplits()).hasSize(2);

        Files.writeString(dir.resolve("b.jpg"), "b"); // deleted and written again: a new object
        Files.setLastModifiedTime(dir.resolve("b.jpg"), FileTime.fromMillis(1_000_000));
        listAgain(context);
        assertThat(lastSplitNames(context)).containsExactly("b.jpg");
        assertThat(context.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal()).isFalse();
    }

    @Test
    void filesAReaderHadNotCheckpointedAreHandedOutAgainFirstFromWhereItWas() throws IOException {
        TestingSplitEnumeratorContext<LocalFileSplit> context = context(2);
        LocalDirectoryEnumerator enumerator = over300FilesFirstSplitToReader0(context);
        LocalFileSplit first = context.getSplitAssignments().get(0).getAssignedSplits().get(0);

        enumerator.addSplitsBack(List.of(first.withEmitted(100)), 0);
        enumerator.handleSplitRequest(1, "host");
        LocalFileSplit again = context.getSplitAssignments().get(1).getAssignedSplits().get(0);
        // The 156 given back, then the 44 never handed out, in order
        assertThat(again.files()).extracting(LocalFile::name).hasSize(200).startsWith("100.jpg")
                .contains("255.jpg", "256.jpg").endsWith("299.jpg").isSorted();
        enumerator.handleSplitRequest(1, "host");
        assertThat(context.getSplitAssignments().get(1).hasReceivedNoMoreSplitsSignal()).isTrue();
    }

    @Test
    void aRestoredEnumeratorKeepsWhatWasNotHandedOutAndDoesNotListABoundedDirectoryAgain() throws IOException {
        TestingSplitEnumeratorContext<LocalFileSplit> context = context(1);
        LocalDirectoryEnumerator enumerator = over300FilesFirstSplitToReader0(context);
        LocalEnumeratorState state = roundTrip(enumerator.snapshotState(1));
        assertThat(state.pending()).hasSize(44);
        assertThat(state.known()).hasSize(300);

        Files.writeString(dir.resolve("999-after-the-listing.jpg"), "x"); // bounded: not picked up
        TestingSplitEnumeratorContext<LocalFileSplit> restoredContext = context(1);
        LocalDirectoryEnumerator restored = bounded(restoredContext, state);
        restored.start();
        restoredContext.triggerAllActions();
        restored.handleSplitRequest(0, "host");
        restored.handleSplitRequest(0, "host");
        assertThat(lastSplitNames(restoredContext)).hasSize(44).startsWith("256.jpg").endsWith("299.jpg");
        assertThat(restoredContext.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal()).isTrue();
        assertThat(restoredContext.getSplitAssignments().get(0).getAssignedSplits().get(0).splitId())
                .isNotEqualTo(context.getSplitAssignments().get(0).getAssignedSplits().get(0).splitId());
    }

    @Test
    void aBoundedListingOfAMissingDirectoryFailsNamingIt() {
        TestingSplitEnumeratorContext<LocalFileSplit> context = context(1);
        LocalDirectoryEnumerator enumerator = new LocalDirectoryEnumerator(context,
                new DirectoryLister(dir.resolve("gone").toString()), true, 1000, LocalEnumeratorState.empty());
        enumerator.start();
        org.assertj.core.api.Assertions.assertThatThrownBy(context::triggerAllActions)
                .hasStackTraceContaining("Listing the input directory failed")
                .hasStackTraceContaining("gone");
    }

    /** A started bounded enumerator over 000.jpg..299.jpg that has given reader 0 its first split (256 files). */
    private LocalDirectoryEnumerator over300FilesFirstSplitToReader0(TestingSplitEnumeratorContext<LocalFileSplit> context)
            throws IOException {
        for (int i = 0; i < 300; i++) {
            Files.writeString(dir.resolve(String.format("%03d.jpg", i)), "x");
        }
        LocalDirectoryEnumerator enumerator = bounded(context, LocalEnumeratorState.empty());
        enumerator.start();
        context.triggerAllActions();
        enumerator.handleSplitRequest(0, "host");
        return enumerator;
    }

    private LocalDirectoryEnumerator bounded(TestingSplitEnumeratorContext<LocalFileSplit> context,
            LocalEnumeratorState state) {
        return new LocalDirectoryEnumerator(context, new DirectoryLister(dir.toString()), true, 1000, state);
    }

    private static TestingSplitEnumeratorContext<LocalFileSplit> context(int readers) {
        TestingSplitEnumeratorContext<LocalFileSplit> context = new TestingSplitEnumeratorContext<>(readers);
        for (int i = 0; i < readers; i++) {
            context.registerReader(i, "host");
        }
        return context;
    }

    private static void listAgain(TestingSplitEnumeratorContext<LocalFileSplit> context) {
        context.getExecutorService().triggerPeriodicScheduledTasks();
        context.triggerAllActions();
    }

    private static List<String> lastSplitNames(TestingSplitEnumeratorContext<LocalFileSplit> context) {
        return lastSplitNames(context, 0);
    }

    private static List<String> lastSplitNames(TestingSplitEnumeratorContext<LocalFileSplit> context, int reader) {
        List<LocalFileSplit> splits = context.getSplitAssignments().get(reader).getAssignedSplits();
        return splits.get(splits.size() - 1).files().stream().map(LocalFile::name).toList();
    }

    private static LocalEnumeratorState roundTrip(LocalEnumeratorState state) throws IOException {
        LocalEnumeratorStateSerializer s = LocalEnumeratorStateSerializer.INSTANCE;
        return s.deserialize(s.getVersion(), s.serialize(state));
    }
}
