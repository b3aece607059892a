package io.imageclassifier.classify;

import java.util.concurrent.Semaphore;

/**
 * Bounds the native memory that HEIF and WebP decodes ({@link HeifDecoder}, {@link WebpDecoder})
 * hold at once in this JVM. Their pixels live outside the Java heap, where Flink's memory model
 * counts them only under {@code taskmanager.memory.task.off-heap.size}; without a bound, every slot
 * of a TaskManager decoding a 48 MP iPhone photo at the same moment (~300 MB native each) could take
 * the pod past its memory limit, and a killed TaskManager brings the same images back. A decode
 * asks for its estimated bytes before it starts and waits while others hold the rest; one that
 * needs more than the whole gate takes all of it (the per-image limits bound that case).
 *
 * <p>The JVM-wide gate holds {@value #DEFAULT_MIB} MiB unless the system property
 * {@value #PROPERTY} says otherwise (e.g. {@code env.java.opts.taskmanager: -D...}).
 */
final class NativeDecodeGate {

    static final String PROPERTY = "imageclassifier.native-decode-mib";
    static final int DEFAULT_MIB = 512;
    /** Shared by every decoder in this JVM (one TaskManager: all its slots). */
    static final NativeDecodeGate JVM = new NativeDecodeGate(Integer.getInteger(PROPERTY, DEFAULT_MIB));

    private final int capacityMib;
    private final Semaphore permits;

    NativeDecodeGate(int capacityMib) {
        if (capacityMib < 1) {
            throw new IllegalArgumentException(PROPERTY + " must be >= 1 MiB, got " + capacityMib);
        }
        this.capacityMib = capacityMib;
        this.permits = new Semaphore(capacityMib, true);
    }

    /**
     * Waits until {@code bytes} (at most the whole gate) are free and takes them; close the
     * returned lease when the native memory is released. Uninterruptible: the wait is as long as
     * other decodes take, and an interrupted decode would become a dead letter.
     */
    Lease acquire(long bytes) {
        long whole = (long) capacityMib << 20;
        int mib = bytes >= whole ? capacityMib : (int) Math.max(1, (bytes + (1 << 20) - 1) >> 20);
        permits.acquireUninterruptibly(mib);
        return new Lease(mib);
    }

    int capacityMib() {
        return capacityMib;
    }

    /** MiB held right now (for tests and diagnostics). */
    int inUseMib() {
        return capacityMib - permits.availablePermits();
    }

    /** Held native memory; {@link #close()} gives it back once. */
    final class Lease implements AutoCloseable {
        private final int mib;
        private boolean closed;

        private Lease(int mib) {
            this.mib = mib;
        }

        int mib() {
            return mib;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                permits.release(mib);
            }
        }
    }
}
