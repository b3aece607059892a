package io.imageclassifier.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a job run's CPU went, by thread: samples {@code /proc/self/task/<tid>/stat} (user + system
 * clock ticks) every second from a daemon thread, keeping each thread's last value, so that threads
 * that ended (Flink's task threads) are still counted; threads that were already running count
 * from {@link #start()} on. Linux only; a diagnostic for the job log.
 */
final class ThreadCpu implements Runnable {

    private final Map<String, long[]> byTid = new HashMap<>(); // tid -> {ticks}, name kept separately
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, Long> atStart = new HashMap<>();
    private volatile boolean stopped;

    static ThreadCpu start() {
        ThreadCpu t = new ThreadCpu();
        t.sample();
        t.byTid.forEach((tid, ticks) -> t.atStart.put(tid, ticks[0]));
        Thread th = new Thread(t, "bench-thread-cpu");
        th.setDaemon(true);
        th.start();
        return t;
    }

    @Override
    public void run() {
        while (!stopped) {
            sample();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sample() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    String[] f = stat.substring(close + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                    String tid = task.getFileName().toString();
                    names.put(tid, stat.substring(open + 1, close).replaceAll("\\d+", "N"));
                    byTid.computeIfAbsent(tid, k -> new long[1])[0] = ticks;
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException e) {
            stopped = true;
        }
    }

    /** CPU seconds by thread name (kernel names are cut at 15 characters), largest first. */
    synchronized String summary() {
        sample();
        stopped = true;
        Map<String, Long> byName = new TreeMap<>();
        byTid.forEach((tid, t) -> byName.merge(names.get(tid), t[0] - atStart.getOrDefault(tid, 0L), Long::sum));
        StringBuilder sb = new StringBuilder();
        byName.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(15)
                .forEach(e -> sb.append(String.format("  %6.2f s  %s%n", e.getValue() / 100.0, e.getKey())));
        return sb.toString();
    }
}
