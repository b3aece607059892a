package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.imageclassifier.testing.TestImages;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The JVM-wide bound on native decode memory, and that the HEIF and WebP paths go through it. */
class NativeDecodeGateTest {

    @Test
    void aSecondDecodeWaitsUntilTheFirstGivesItsMemoryBack() throws Exception {
        NativeDecodeGate gate = new NativeDecodeGate(8);
        NativeDecodeGate.Lease first = gate.acquire(5L << 20);
        assertThat(gate.inUseMib()).isEqualTo(5);
        AtomicReference<NativeDecodeGate.Lease> second = new AtomicReference<>();
        Thread t = new Thread(() -> second.set(gate.acquire(5L << 20)));
        t.start();
        awaitParked(t);
        assertThat(second.get()).isNull();
        first.close();
        t.join(10_000);
        assertThat(second.get()).isNotNull();
        assertThat(gate.inUseMib()).isEqualTo(5);
        second.get().close();
        second.get().close(); // once only
        assertThat(gate.inUseMib()).isZero();
    }

    @Test
    void aDecodeBiggerThanTheGateTakesAllOfItAndSmallOnesTakeAMebibyte() {
        NativeDecodeGate gate = new NativeDecodeGate(8);
        for (long bytes : new long[] {9L << 20, 1L << 40, Long.MAX_VALUE}) {
            try (NativeDecodeGate.Lease all = gate.acquire(bytes)) {
                assertThat(all.mib()).isEqualTo(8);
                assertThat(gate.inUseMib()).isEqualTo(8);
            }
        }
        try (NativeDecodeGate.Lease small = gate.acquire(10)) {
            assertThat(small.mib()).isEqualTo(1);
        }
        assertThat(gate.inUseMib()).isZero();
    }

    @Test
    void webpDecodesWaitForTheGate() throws Exception {
        assumeThat(WebpDecoder.available()).as("libwebp7 installed").isTrue();
        assertDecodeWaitsForTheGate(TestImages.webpLossless(64, 48));
    }

    /**
     * Holds the whole gate, starts a decode of {@code image} in another thread, and checks that it
     * parks until the gate is released, then decodes.
     */
    static void assertDecodeWaitsForTheGate(byte[] image) throws Exception {
        NativeDecodeGate gate = new NativeDecodeGate(4);
        ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults(), gate);
        AtomicReference<Thread> worker = new AtomicReference<>();
        CompletableFuture<RgbImage> decoded;
        try (NativeDecodeGate.Lease all = gate.acquire(Long.MAX_VALUE)) {
            decoded = CompletableFuture.supplyAsync(() -> {
                worker.set(Thread.currentThread());
                try {
                    return decoder.decode(image);
                } catch (ImageRejectedException e) {
                    throw new IllegalStateException(e);
                }
            });
            while (worker.get() == null) {
                Thread.onSpinWait();
            }
            awaitParked(worker.get());
            assertThat(decoded).isNotDone();
        }
        RgbImage img = decoded.get(30, TimeUnit.SECONDS);
        assertThat(img.width()).isPositive();
        assertThat(gate.inUseMib()).isZero();
    }

    /** Waits (bounded) until {@code t} parks on the gate's semaphore. */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!isParkedOnTheGate(t)) {
            assertThat(System.nanoTime()).as("thread parked on the gate within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static boolean isParkedOnTheGate(Thread t) {
        if (t.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(NativeDecodeGate.class.getName())) {
                return true;
            }
        }
        return false;
    }
}
