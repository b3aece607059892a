package io.imageclassifier.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark's child JVM (a job run): waiting for it with a limit, and the message when it failed:
 * its own uncaught exception, found anywhere in its log, then the log's last lines. The exception
 * comes first because Flink keeps logging (a declined checkpoint's stack trace, the MiniCluster's
 * shutdown) after the main thread has died, so the last lines alone rarely say why a run failed.
 */
final class ChildJvm {

    /** The exit code {@link #await} gives a child it killed, as coreutils' timeout does. */
    static final int TIMED_OUT = 124;

    /** Kills a child that runs longer: far above the longest run (60 s windows at a 60 s interval take ~5 min). */
    static final Duration LIMIT = Duration.ofMinutes(30);

    private static final int EXCEPTION_LINES = 60;
    private static final int LAST_LINES = 15;

    private ChildJvm() {}

    /**
     * A child's {@code main}: exits with what {@code run} returns, or with 1 after printing its
     * exception as the JVM would ({@link #failure} looks for that line). Always exits: ONNX Runtime
     * and Flink leave non-daemon threads behind, and a failed streaming run its job.
     */
    static void runAndExit(Callable<Integer> run) {
        int rc;
        try {
            rc = run.call();
        } catch (Throwable t) {
            System.err.print("Exception in thread \"main\" ");
            t.printStackTrace();
            rc = 1;
        }
        System.exit(rc);
    }

    /** How a child ended: its exit code and its log (stdout and stderr). */
    record Ended(int rc, List<String> lines) {}

    /** Runs {@code cmd} with its output to {@code log}, within {@link #LIMIT}. */
    static Ended run(List<String> cmd, Path log) throws IOException, InterruptedException {
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int rc = await(child, LIMIT);
        return new Ended(rc, Files.readAllLines(log, StandardCharsets.UTF_8));
    }

    /** Its exit code, or {@link #TIMED_OUT} once it has been killed after {@code limit}: a hung run must not hang CI. */
    static int await(Process child, Duration limit) throws InterruptedException {
        if (child.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            return child.exitValue();
        }
        child.destroyForcibly().waitFor();
        return TIMED_OUT;
    }

    /** The exception to fail a harness with: what failed, the child's exception, its last lines. */
    static IllegalStateException failure(String what, int rc, Path log, List<String> lines) {
        StringBuilder m = new StringBuilder(what).append(rc == TIMED_OUT ? " timed out, killed (exit " : " failed (exit ")
                .append(rc).append("); log ").append(log).append('\n');
        List<String> exception = mainException(lines);
        if (exception.isEmpty()) {
            m.append("no uncaught exception in the log\n");
        } else {
            m.append("its exception:\n").append(String.join("\n", exception)).append('\n');
        }
        int from = Math.max(0, lines.size() - LAST_LINES);
        m.append("its last lines:\n").append(String.join("\n", lines.subList(from, lines.size())));
        return new IllegalStateException(m.toString());
    }

    /** The main thread's uncaught exception: its first lines and every "Caused by" line after them. */
    static List<String> mainException(List<String> lines) {
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("Exception in thread \"main\"")) {
                start = i;
            }
        }
        List<String> out = new ArrayList<>();
        if (start < 0) {
            return out;
        }
        for (int i = start; i < lines.size(); i++) {
            String l = lines.get(i);
            boolean traceLine = i == start || l.startsWith("\t") || l.startsWith("Caused by:")
                    || l.startsWith("Suppressed:") || l.startsWith("\tSuppressed:");
            if (!traceLine) {
                break;
            }
            if (out.size() < EXCEPTION_LINES || l.startsWith("Caused by:")) {
                out.add(l);
            }
        }
        return out;
    }
}
