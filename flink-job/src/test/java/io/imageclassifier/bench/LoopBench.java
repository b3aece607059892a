package io.imageclassifier.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A tight classification loop: {@code T} threads, each with its own {@link Worker} (as each Flink
 * subtask has its own classifier), take the next image of the set round-robin until stopped. After
 * a warm-up, images/s is counted over a measurement window that lasts at least the given time and
 * at least a given number of completed images (so slow sets are not quantised away; by default
 * {@value #MIN_COMPLETIONS}).
 */
final class LoopBench {

    static final int MIN_COMPLETIONS = 40;

    /** Classifies one image (its bytes, or a ready tensor) and returns its top-1 class index. */
    interface Worker<T> {
        int classify(T image) throws Exception;
    }

    /** Creates one worker per thread. */
    interface WorkerFactory<T> {
        Worker<T> create() throws Exception;
    }

    private LoopBench() {}

    /** The top-1 class of each image, from one pass on one worker. */
    static <T> int[] predictions(WorkerFactory<T> factory, List<T> images) throws Exception {
        Worker<T> w = factory.create();
        int[] out = new int[images.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = w.classify(images.get(i));
        }
        return out;
    }

    /** Images per second of {@code threads} workers over {@code images}. */
    static <T> double imagesPerSecond(WorkerFactory<T> factory, List<T> images, int threads, long warmupMillis,
            long measureMillis, int minCompletions) throws Exception {
        List<Worker<T>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(factory.create());
        }
        AtomicInteger next = new AtomicInteger();
        AtomicLong done = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> running = new ArrayList<>();
        for (Worker<T> w : workers) {
            Thread t = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        w.classify(images.get(Math.floorMod(next.getAndIncrement(), images.size())));
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            }, "bench-loop");
            t.start();
            running.add(t);
        }
        try {
            Thread.sleep(warmupMillis);
            long c0 = done.get();
            long t0 = System.nanoTime();
            long hardStop = t0 + Math.max(measureMillis, 1000) * 1_000_000L * 10;
            while (!stop.get()) {
                Thread.sleep(20);
                long elapsed = System.nanoTime() - t0;
                if ((elapsed >= measureMillis * 1_000_000L && done.get() - c0 >= minCompletions)
                        || System.nanoTime() > hardStop) {
                    break;
                }
            }
            long c1 = done.get();
            long t1 = System.nanoTime();
            if (failure.get() != null) {
                throw new IllegalStateException("benchmark loop failed", failure.get());
            }
            return (c1 - c0) * 1e9 / (t1 - t0);
        } finally {
            stop.set(true);
            for (Thread t : running) {
                t.join();
            }
        }
    }
}
