package io.imageclassifier.classify;

import ai.onnxruntime.OrtEnvironment;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Obtains ONNX Runtime's process-wide {@link OrtEnvironment} on a thread with a large stack.
 *
 * <p>Measured here (onnxruntime 1.29.0, Linux x86-64, JDK 17): loading the native library and
 * creating the environment on a thread with the JVM's default 1 MiB stack (and with 2 MiB) kills
 * the whole JVM with SIGSEGV and no hs_err file, while 4 MiB and more work. Flink task threads
 * (where {@code open()} runs) have the default stack, so a TaskManager would die. Later calls, session
 * creation and inference were measured to work on 1 MiB stacks.
 */
final class OrtEnvironments {

    /** Stack for the thread that initialises ONNX Runtime; far above the measured need (> 2 MiB). */
    private static final long INIT_STACK_BYTES = 32L << 20;

    private OrtEnvironments() {}

    static OrtEnvironment get() {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(OrtEnvironment.getEnvironment());
            } catch (Throwable e) { // handed to the caller's thread below
                result.set(e);
            }
        }, "onnxruntime-init", INIT_STACK_BYTES);
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Object r = result.get();
        if (r instanceof OrtEnvironment env) {
            return env;
        }
        if (r instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("cannot initialise ONNX Runtime: " + r, (Throwable) r);
    }
}
