package io.imageclassifier.source.pubsub.reader;

import com.google.api.core.ApiService;
import com.google.cloud.pubsub.v1.AckReplyConsumer;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.pubsub.v1.PubsubMessage;
import io.imageclassifier.source.pubsub.PubSubMessage;
import io.imageclassifier.source.pubsub.SubscriberFactory;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.base.source.reader.synchronization.FutureCompletingBlockingQueue;
import org.apache.flink.core.io.InputStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one subscription through the client's StreamingPull {@link Subscriber}.
 *
 * <p>Threads: the Subscriber's callback threads only put messages (with their ack handles) into a
 * bounded hand-over queue; everything else (emitting, ack bookkeeping, acking) happens on the task
 * thread. The queue holds at most the flow-control limit, because the Subscriber never has more
 * unacknowledged messages outstanding.
 *
 * <p>Acks: see {@link AckTracker}. Checkpoint {@code n} covers exactly the messages emitted before
 * {@link #snapshotState}; they are acked in {@link #notifyCheckpointComplete}. On close everything
 * unacknowledged (emitted or still queued) is nacked, so Pub/Sub redelivers it promptly.
 */
public final class PubSubSourceReader implements SourceReader<PubSubMessage, PubSubSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(PubSubSourceReader.class);

    private record Received(PubSubMessage message, AckReplyConsumer consumer) {}

    private final SubscriberFactory subscriberFactory;
    private final FutureCompletingBlockingQueue<Received> handover;
    private final AckTracker acks = new AckTracker();
    private final PubSubReaderMetrics metrics;
    private final int subtask;

    private PubSubSplit split;
    private Subscriber subscriber;
    private volatile Throwable subscriberFailure;

    public PubSubSourceReader(SubscriberFactory subscriberFactory, int handoverCapacity, SourceReaderContext context) {
        this.subscriberFactory = subscriberFactory;
        this.handover = new FutureCompletingBlockingQueue<>(handoverCapacity);
        this.metrics = new PubSubReaderMetrics(context.metricGroup(), acks);
        this.subtask = context.getIndexOfSubtask();
    }

    @Override
    public void start() {}

    @Override
    public InputStatus pollNext(ReaderOutput<PubSubMessage> output) {
        Throwable failure = subscriberFailure;
        if (failure != null) {
            throw new IllegalStateException("Pub/Sub subscriber failed for " + split, failure);
        }
        Received received = handover.poll();
        if (received == null) {
            return InputStatus.NOTHING_AVAILABLE;
        }
        output.collect(received.message(), received.message().publishTimeMillis());
        acks.add(received.consumer());
        metrics.received.inc();
        return handover.isEmpty() ? InputStatus.NOTHING_AVAILABLE : InputStatus.MORE_AVAILABLE;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return handover.getAvailabilityFuture();
    }

    @Override
    public List<PubSubSplit> snapshotState(long checkpointId) {
        acks.onCheckpoint(checkpointId);
        return split == null ? List.of() : List.of(split);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        int acked = acks.onCheckpointComplete(checkpointId);
        metrics.acked.inc(acked);
        LOG.debug("Subtask {}: checkpoint {} complete, acked {}, {} pending", subtask, checkpointId, acked,
                acks.pending());
    }

    @Override
    public void addSplits(List<PubSubSplit> splits) {
        if (splits.isEmpty()) {
            return;
        }
        if (split != null) {
            // A restored split and a freshly assigned one may both arrive; one stream is enough.
            LOG.debug("Subtask {} already reads {}; ignoring {}", subtask, split, splits);
            return;
        }
        split = splits.get(0);
        subscriber = subscriberFactory.create(split.subscription(), (message, consumer) -> enqueue(message, consumer));
        subscriber.addListener(new ApiService.Listener() {
            @Override
            public void failed(ApiService.State from, Throwable failure) {
                subscriberFailure = failure;
                handover.notifyAvailable();
            }
        }, MoreExecutors.directExecutor());
        subscriber.startAsync().awaitRunning();
        LOG.info("Subtask {} pulling from {}", subtask, split.subscription());
    }

    private void enqueue(PubsubMessage message, AckReplyConsumer consumer) {
        PubSubMessage copy = new PubSubMessage(
                message.getMessageId(),
                message.getAttributesMap(),
                message.getData().toByteArray(),
                message.getPublishTime().getSeconds() * 1000 + message.getPublishTime().getNanos() / 1_000_000);
        try {
            handover.put(0, new Received(copy, consumer));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            consumer.nack();
        }
    }

    @Override
    public void notifyNoMoreSplits() {}

    @Override
    public void close() throws Exception {
        int nacked = acks.nackAll();
        for (Received queued = handover.poll(); queued != null; queued = handover.poll()) {
            queued.consumer().nack();
            nacked++;
        }
        metrics.nacked.inc(nacked);
        LOG.info("Subtask {} closing: nacked {}", subtask, nacked);
        if (subscriber != null) {
            try {
                subscriber.stopAsync().awaitTerminated(30, TimeUnit.SECONDS);
            } catch (TimeoutException | IllegalStateException e) {
                LOG.warn("Pub/Sub subscriber of subtask {} did not stop cleanly", subtask, e);
            }
        }
    }
}
