package io.imageclassifier.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time (user + system) of a whole process from {@code /proc/<pid>/stat}; Linux only. */
final class ProcCpu {

    /** Clock ticks per second of {@code /proc} times (USER_HZ: 100 on Linux). */
    static final long TICKS_PER_SECOND = 100;

    private ProcCpu() {}

    /** CPU milliseconds of process {@code pid} ("self" for this one); -1 where it cannot be read. */
    static long millis(String pid) {
        if (pid.startsWith("-")) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000 / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
