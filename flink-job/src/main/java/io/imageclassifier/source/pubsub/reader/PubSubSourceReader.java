package io.imageclassifier.source.pubsub.reader;

import com.google.api.core.ApiService;
import com.google.cloud.pubsub.v1.AckReplyConsumer;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.pubsub.v1.PubsubMessage;
import io.imageclassifier.source.pubsub.PubSubMessage;
import io.imageclassifier.source.pubsub.SubscriberFactory;
import io.imageclassifier.source.pubsub.backlog.BacklogEvent;
import io.imageclassifier.source.pubsub.split.PubSubSplit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.base.source.reader.synchronization.FutureCompletingBlockingQueue;
import org.apache.flink.core.io.InputStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one subscription through the client's StreamingPull {@code Subscriber}.
 *
 * <p>Threads: the Subscriber's callback threads only put messages (with their ack handles) into a
 * small hand-over queue, blocking while it is full (which is how downstream backpressure reaches
 * the client: it stops pulling at its flow-control limit); everything else (emitting, ack
 * bookkeeping, acking) happens on the task thread.
 *
 * <p>Acks: see {@link AckTracker}. Checkpoint {@code n} covers exactly the messages emitted before
 * {@link #snapshotState}; they are acked in {@link #notifyCheckpointComplete}. On close everything
 * unacknowledged (emitted or still queued) is nacked, so Pub/Sub redelivers it promptly.
 *
 * <p>Flow control: because acks wait for checkpoints, everything emitted during an interval counts
 * against the client's limit; {@link FlowControlWatch} reports when that limit, not the job, is
 * what holds the reader back. Backlog: {@link BacklogGauge}.
 *
 * <p>Splits: a reader that restored no split asks the enumerator for one in {@link #start()}.
 */
public final class PubSubSourceReader implements SourceReader<PubSubMessage, PubSubSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(PubSubSourceReader.class);
    /** Hand-over queue size: it only decouples the client's threads from the task thread. */
    public static final int HANDOVER_CAPACITY = 1000;

    private record Received(PubSubMessage message, AckReplyConsumer consumer, long bytes) {}

    private final SubscriberFactory subscriberFactory;
    private final SourceReaderContext context;
    private final FutureCompletingBlockingQueue<Received> handover;
    private final AckTracker acks = new AckTracker();
    private final PubSubReaderMetrics metrics;
    private final FlowControlWatch flowControl;
    private final BacklogGauge backlog;
    private final int subtask;

    private PubSubSplit split;
    private ApiService subscriber;
    private volatile Throwable subscriberFailure;
    private volatile boolean closed;

    public PubSubSourceReader(SubscriberFactory subscriberFactory, FlowLimits limits, SourceReaderContext context) {
        this(subscriberFactory, limits, context, System::currentTimeMillis);
    }

    PubSubSourceReader(SubscriberFactory subscriberFactory, FlowLimits limits, SourceReaderContext context,
            LongSupplier clock) {
        this.subscriberFactory = subscriberFactory;
        this.context = context;
        int capacity = (int) (limits.maxMessages() > 0 ? Math.min(HANDOVER_CAPACITY, limits.maxMessages())
                : HANDOVER_CAPACITY);
        this.handover = new FutureCompletingBlockingQueue<>(capacity);
        this.subtask = context.getIndexOfSubtask();
        this.metrics = new PubSubReaderMetrics(context.metricGroup(), acks);
        this.flowControl = new FlowControlWatch(limits, metrics.flowControlLimitedMs, clock, subtask);
        this.backlog = new BacklogGauge(context.metricGroup(), acks, clock);
    }

    @Override
    public void start() {
        if (split == null) {
            context.sendSplitRequest();
        }
    }

    @Override
    public InputStatus pollNext(ReaderOutput<PubSubMessage> output) {
        Throwable failure = subscriberFailure;
        if (failure != null) {
            throw new IllegalStateException("Pub/Sub subscriber failed for " + split, failure);
        }
        Received received = handover.poll();
        if (received == null) {
            flowControl.idle(acks.pending(), acks.pendingBytes());
            return InputStatus.NOTHING_AVAILABLE;
        }
        output.collect(received.message(), received.message().publishTimeMillis());
        acks.add(received.consumer(), received.bytes());
        metrics.received.inc();
        flowControl.emitted();
        if (handover.isEmpty()) {
            flowControl.idle(acks.pending(), acks.pendingBytes());
            return InputStatus.NOTHING_AVAILABLE;
        }
        return InputStatus.MORE_AVAILABLE;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return handover.getAvailabilityFuture();
    }

    @Override
    public List<PubSubSplit> snapshotState(long checkpointId) {
        acks.onCheckpoint(checkpointId);
        flowControl.snapshot(checkpointId);
        return split == null ? List.of() : List.of(split);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        int acked = acks.onCheckpointComplete(checkpointId);
        metrics.acked.inc(acked);
        flowControl.completed(checkpointId);
        LOG.debug("Subtask {}: checkpoint {} complete, acked {}, {} pending", subtask, checkpointId, acked,
                acks.pending());
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        if (event instanceof BacklogEvent backlogEvent) {
            backlog.update(backlogEvent);
        }
    }

    @Override
    public void addSplits(List<PubSubSplit> splits) {
        if (splits.isEmpty()) {
            return;
        }
        if (split != null) {
            // After a restore with a lower parallelism a reader may get several splits: one stream is enough.
            LOG.debug("Subtask {} already reads {}; ignoring {}", subtask, split, splits);
            return;
        }
        split = splits.get(0);
        subscriber = subscriberFactory.create(split.subscription(), this::enqueue);
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

    /** The client's callback threads. */
    private void enqueue(PubsubMessage message, AckReplyConsumer consumer) {
        PubSubMessage copy = new PubSubMessage(
                message.getMessageId(),
                message.getAttributesMap(),
                message.getData().toByteArray(),
                message.getPublishTime().getSeconds() * 1000 + message.getPublishTime().getNanos() / 1_000_000);
        boolean queued = false;
        try {
            queued = !closed && handover.put(0, new Received(copy, consumer, message.getSerializedSize()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!queued) {
            consumer.nack();
        }
    }

    @Override
    public void notifyNoMoreSplits() {}

    @Override
    public void close() throws Exception {
        closed = true;
        handover.wakeUpPuttingThread(0);
        int nacked = acks.nackAll();
        for (Received queued = handover.poll(); queued != null; queued = handover.poll()) {
            queued.consumer().nack();
            nacked++;
        }
        if (subscriber != null) {
            try {
                subscriber.stopAsync().awaitTerminated(30, TimeUnit.SECONDS);
            } catch (TimeoutException | IllegalStateException e) {
                LOG.warn("Pub/Sub subscriber of subtask {} did not stop cleanly", subtask, e);
            }
        }
        // A callback blocked on the full queue before close may have put one more meanwhile.
        for (Received queued = handover.poll(); queued != null; queued = handover.poll()) {
            queued.consumer().nack();
            nacked++;
        }
        metrics.nacked.inc(nacked);
        LOG.info("Subtask {} closed: nacked {}", subtask, nacked);
    }
}
