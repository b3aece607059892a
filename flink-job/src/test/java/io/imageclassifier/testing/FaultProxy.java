package io.imageclassifier.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of an HTTP/1.1 server (fake-gcs-server) that injects the faults a real
 * service shows: connections refused, error answers (503, 403), responses that stall mid-stream.
 * The job's {@code --gcs-endpoint} points at {@link #endpoint()}. It also records every request
 * line it forwards and counts the response bytes it passes to the client, so tests can assert how
 * many requests a fetch made and that an oversized object was not read to its end.
 *
 * <p>Faults apply to connections already open too: starting {@link #refuseConnections()} or
 * {@link #answer} closes them (as a restarting server would), and a stall holds every response
 * stream after {@code afterBytes} more bytes until {@link #heal()}.
 */
public final class FaultProxy implements AutoCloseable {

    private enum Mode { PASS, REFUSE, ANSWER, STALL }

    private final InetSocketAddress upstream;
    private final int port;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<String> requests = new ArrayList<>();
    private final AtomicLong bytesToClient = new AtomicLong();
    private final Object lock = new Object();
    private final Thread acceptor;

    private volatile ServerSocket server;
    private volatile boolean closed;
    private volatile Mode mode = Mode.PASS;
    private volatile int answerStatus;
    private volatile String answerBody;
    private volatile long stallAfterBytes;
    private volatile int stallEpoch;

    private FaultProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.server = listen(0);
        this.port = server.getLocalPort();
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy on a free loopback port forwarding to {@code upstreamUrl} ({@code http://host:port}). */
    public static FaultProxy to(String upstreamUrl) throws IOException {
        URI uri = URI.create(upstreamUrl);
        return new FaultProxy(new InetSocketAddress(uri.getHost(), uri.getPort()));
    }

    /** The proxy's URL, for {@code --gcs-endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Nothing listens any more (connect: "connection refused"); open connections are closed. */
    public void refuseConnections() throws IOException {
        synchronized (lock) {
            mode = Mode.REFUSE;
            ServerSocket s = server;
            server = null;
            if (s != null) {
                s.close();
            }
            closeConnections();
        }
    }

    /** Every request gets {@code status} with {@code jsonBody}, unforwarded; open connections are closed. */
    public void answer(int status, String jsonBody) {
        synchronized (lock) {
            answerStatus = status;
            answerBody = jsonBody;
            mode = Mode.ANSWER;
            closeConnections();
        }
    }

    /** Each response stream passes {@code afterBytes} more bytes, then nothing until {@link #heal()}. */
    public void stallResponses(long afterBytes) {
        synchronized (lock) {
            stallAfterBytes = afterBytes;
            stallEpoch++;
            mode = Mode.STALL;
        }
    }

    /** Back to forwarding everything; listens again after {@link #refuseConnections()}. */
    public void heal() throws IOException {
        synchronized (lock) {
            if (server == null) {
                server = listen(port);
            }
            mode = Mode.PASS;
            lock.notifyAll();
        }
    }

    /** Request lines forwarded to the server so far, e.g. {@code GET /download/storage/v1/b/...}. */
    public List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Response bytes passed to clients so far. */
    public long bytesToClient() {
        return bytesToClient.get();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        synchronized (lock) {
            ServerSocket s = server;
            server = null;
            if (s != null) {
                s.close();
            }
            closeConnections();
            lock.notifyAll();
        }
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return s;
    }

    private void closeConnections() {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            ServerSocket s = server;
            if (s == null) {
                synchronized (lock) {
                    try {
                        lock.wait(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            try {
                Socket client = s.accept();
                synchronized (lock) {
                    // A connection accepted while refuseConnections() closed the others is refused too.
                    if (mode == Mode.REFUSE || closed) {
                        closeQuietly(client);
                        continue;
                    }
                    sockets.add(client);
                }
                Thread t = new Thread(() -> serve(client), "fault-proxy-" + port + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                // the listener was closed: refusing, or shutting down
            }
        }
    }

    /** Reads the client's requests one by one, answering or forwarding each. */
    private void serve(Socket client) {
        Socket server = null;
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            while (true) {
                byte[] head = readHead(in);
                if (head == null || mode == Mode.REFUSE) {
                    return;
                }
                if (mode == Mode.ANSWER) {
                    byte[] body = answerBody.getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 " + answerStatus + " Fault\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                    return;
                }
                String text = new String(head, StandardCharsets.ISO_8859_1);
                synchronized (requests) {
                    requests.add(text.substring(0, text.indexOf("\r\n")).replaceFirst(" HTTP/1\\.1$", ""));
                }
                if (server == null) {
                    server = new Socket();
                    server.connect(upstream, 5000);
                    sockets.add(server);
                    Socket upstreamSocket = server;
                    Thread pump = new Thread(() -> pumpResponses(upstreamSocket, client), "fault-proxy-" + port + "-resp");
                    pump.setDaemon(true);
                    pump.start();
                }
                OutputStream up = server.getOutputStream();
                up.write(head);
                copyBody(in, up, contentLength(text));
                up.flush();
            }
        } catch (IOException e) {
            // a side closed the connection, or a fault closed it
        } finally {
            if (server != null) {
                sockets.remove(server);
                closeQuietly(server);
            }
            sockets.remove(client);
        }
    }

    /** Server to client, counting, and holding the stream during a stall. */
    private void pumpResponses(Socket server, Socket client) {
        byte[] buf = new byte[8192];
        int epoch = -1;
        long passedInEpoch = 0;
        try {
            InputStream in = server.getInputStream();
            OutputStream out = client.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                int off = 0;
                while (off < n) {
                    int chunk = n - off;
                    if (mode == Mode.STALL) {
                        if (epoch != stallEpoch) {
                            epoch = stallEpoch;
                            passedInEpoch = 0;
                        }
                        long allowed = stallAfterBytes - passedInEpoch;
                        if (allowed <= 0) {
                            awaitNoStall();
                            continue;
                        }
                        chunk = (int) Math.min(chunk, allowed);
                        passedInEpoch += chunk;
                    }
                    out.write(buf, off, chunk);
                    out.flush();
                    bytesToClient.addAndGet(chunk);
                    off += chunk;
                }
            }
        } catch (IOException | InterruptedException e) {
            // closed by a side or a fault
        } finally {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    private void awaitNoStall() throws InterruptedException {
        synchronized (lock) {
            while (mode == Mode.STALL && !closed) {
                lock.wait(100);
            }
        }
    }

    /** The request line and headers up to the blank line, or null at end of stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toByteArray();
            }
        }
        return null;
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                return Long.parseLong(line.substring("content-length:".length()).trim());
            }
            if (lower.startsWith("transfer-encoding:")) {
                throw new IllegalStateException("chunked requests are not supported by this proxy");
            }
        }
        return 0;
    }

    private static void copyBody(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buf = new byte[8192];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("request body ended early");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
