package io.imageclassifier.testing.emulator;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A locally started emulator process on a free loopback port; stopped with its child processes. */
final class EmulatorProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    final int port;

    private EmulatorProcess(String name, Process process, Path log, int port) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts {@code command} (which must listen on {@code port}) and waits until the port accepts. */
    static EmulatorProcess start(String name, List<String> command, int port, java.util.Map<String, String> env,
            Duration startTimeout) throws IOException, InterruptedException {
        Path logDir = Path.of("target", "emulators");
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + "-" + port + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process process = pb.start();
        EmulatorProcess emulator = new EmulatorProcess(name, process, log, port);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (!accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                emulator.close();
                throw new IOException(name + " did not start listening on port " + port + " within "
                        + startTimeout + "; its log:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return emulator;
    }

    /** The process id (of the emulator itself: it is started directly, not through a shell). */
    long pid() {
        return process.pid();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " on 127.0.0.1:" + port + " (log " + log + ")";
    }
}
