package io.imageclassifier.source.pubsub.reader;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.pubsub.v1.AckReplyConsumer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AckTrackerTest {

    /** Records what happened to each message. */
    private static final class Handle implements AckReplyConsumer {
        final List<String> log;
        final String id;

        Handle(List<String> log, String id) {
            this.log = log;
            this.id = id;
        }

        @Override
        public void ack() {
            log.add("ack " + id);
        }

        @Override
        public void nack() {
            log.add("nack " + id);
        }
    }

    private final List<String> log = new ArrayList<>();
    private final AckTracker tracker = new AckTracker();

    private void emit(String id) {
        tracker.add(new Handle(log, id), 100);
    }

    @Test
    void acksOnlyAfterCheckpointCompletes() {
        emit("a");
        emit("b");
        tracker.onCheckpoint(1);

        assertThat(log).isEmpty();
        assertThat(tracker.pending()).isEqualTo(2);

        assertThat(tracker.pendingBytes()).isEqualTo(200);

        assertThat(tracker.onCheckpointComplete(1)).isEqualTo(2);
        assertThat(log).containsExactly("ack a", "ack b");
        assertThat(tracker.pending()).isZero();
        assertThat(tracker.pendingBytes()).isZero();
    }

    @Test
    void messagesEmittedAfterTheBarrierWaitForTheNextCheckpoint() {
        emit("a");
        tracker.onCheckpoint(1);
        emit("b");

        tracker.onCheckpointComplete(1);

        assertThat(log).containsExactly("ack a");
        assertThat(tracker.pending()).isEqualTo(1);
        assertThat(tracker.pendingBytes()).isEqualTo(100);
        tracker.onCheckpoint(2);
        tracker.onCheckpointComplete(2);
        assertThat(log).containsExactly("ack a", "ack b");
    }

    @Test
    void aLaterCompletedCheckpointAcksTheGroupsOfAbortedEarlierOnes() {
        emit("a");
        tracker.onCheckpoint(1); // checkpoint 1 is aborted: no completion notice ever comes
        emit("b");
        tracker.onCheckpoint(2);

        assertThat(tracker.onCheckpointComplete(2)).isEqualTo(2);
        assertThat(log).containsExactly("ack a", "ack b");
    }

    @Test
    void aCompletionNoticeForAnOlderCheckpointLeavesNewerGroupsPending() {
        emit("a");
        tracker.onCheckpoint(1);
        emit("b");
        tracker.onCheckpoint(2);

        tracker.onCheckpointComplete(1);

        assertThat(log).containsExactly("ack a");
        assertThat(tracker.pending()).isEqualTo(1);
    }

    @Test
    void nothingIsAckedTwice() {
        emit("a");
        tracker.onCheckpoint(1);
        tracker.onCheckpointComplete(1);

        assertThat(tracker.onCheckpointComplete(1)).isZero();
        assertThat(tracker.onCheckpointComplete(2)).isZero();
        assertThat(log).containsExactly("ack a");
    }

    @Test
    void closingNacksEverythingNotYetAcked() {
        emit("a");
        tracker.onCheckpoint(1);
        emit("b");
        tracker.onCheckpoint(2);
        emit("c");
        tracker.onCheckpointComplete(1);

        assertThat(tracker.nackAll()).isEqualTo(2);
        assertThat(log).containsExactly("ack a", "nack b", "nack c");
        assertThat(tracker.pending()).isZero();
        assertThat(tracker.pendingBytes()).isZero();
        assertThat(tracker.onCheckpointComplete(2)).isZero();
    }
}
