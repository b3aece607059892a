package io.imageclassifier.model;

import io.imageclassifier.classify.LoadedModel;
import io.imageclassifier.classify.SharedModelRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded model version that may be retired while images are still being classified with it.
 * Each image pins it ({@link #tryPin}, {@link #unpin}) for the time of its classification; whoever
 * published it holds one reference of its own, dropped by {@link #retire}. The registry lease (and
 * with it the ONNX Runtime session, unless someone else shares it) is released when the count reaches
 * zero: after a swap, the old session is closed right after its last image, never under one.
 */
public final class ModelHandle {

    private final SharedModelRegistry.Lease lease;
    private final LoadedModel model;
    private final AtomicInteger references = new AtomicInteger(1);
    private final AtomicBoolean retired = new AtomicBoolean();

    /** Takes over {@code lease}; the caller's reference is the one {@link #retire} drops. */
    public ModelHandle(SharedModelRegistry.Lease lease) {
        this.lease = lease;
        this.model = lease.model();
    }

    /** The name rows carry in {@code model_version}. */
    public String version() {
        return model.version();
    }

    public LoadedModel model() {
        return model;
    }

    /** Holds the model open for one use; false when it was already released (a newer set is published). */
    boolean tryPin() {
        while (true) {
            int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Ends one use. */
    void unpin() {
        if (references.decrementAndGet() == 0) {
            lease.close();
        }
    }

    /** Drops the publisher's reference (idempotent); the lease goes with the last pin. */
    void retire() {
        if (retired.compareAndSet(false, true)) {
            unpin();
        }
    }

    @Override
    public String toString() {
        return "ModelHandle[" + version() + "]";
    }
}
