package io.imageclassifier.sink.bigquery.fake;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The BigQuery fakes as a server process of their own, so that a Flink cluster in other processes
 * reaches BigQuery over the network as it would reach Google (scripts/local-cluster.sh,
 * scripts/chaos-soak.sh): the Storage Write gRPC service ({@link FakeBigQueryWrite}), the REST
 * table calls ({@link FakeBigQueryRest}), and a control port that tells what was committed.
 *
 * <p>Control port, plain text: {@code GET /committed} lists every committed row as
 * {@code table TAB bucket TAB name TAB generation TAB commitEpochMillis}, in commit order
 * (duplicates included: finding them is the point); {@code GET /stats} gives counters as
 * {@code key=value} lines.
 *
 * <p>Usage: {@code FakeBigQueryServer GRPC_PORT REST_PORT CONTROL_PORT} (0 picks a free port);
 * prints {@code grpc=HOST:PORT}, {@code rest=URL} and {@code control=URL} once serving, and runs
 * until the process is stopped.
 */
public final class FakeBigQueryServer {

    private record CommittedRow(String table, String bucket, String name, String generation, long commitMillis) {}

    private final List<CommittedRow> committed = new ArrayList<>();

    private FakeBigQueryServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: FakeBigQueryServer GRPC_PORT REST_PORT CONTROL_PORT (0: a free port)");
            System.exit(2);
        }
        new FakeBigQueryServer().run(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    }

    private void run(int grpcPort, int restPort, int controlPort) throws Exception {
        FakeBigQueryWrite write = new FakeBigQueryWrite();
        write.onCommitted(this::record);
        write.start(grpcPort);
        FakeBigQueryRest rest = new FakeBigQueryRest().start(restPort);
        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", controlPort), 0);
        control.createContext("/committed", ex -> send(ex, committedText()));
        control.createContext("/stats", ex -> send(ex, statsText(write)));
        control.start();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            control.stop(0);
            rest.close();
            try {
                write.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopped.countDown();
        }, "fake-bigquery-shutdown"));
        System.out.println("grpc=" + write.endpoint());
        System.out.println("rest=" + rest.endpoint());
        System.out.println("control=http://127.0.0.1:" + control.getAddress().getPort());
        System.out.flush();
        stopped.await();
    }

    // Called under the write fake's lock, so commits are recorded in the order they happened.
    private void record(String table, List<DynamicMessage> rows) {
        long now = System.currentTimeMillis();
        synchronized (committed) {
            for (DynamicMessage row : rows) {
                committed.add(new CommittedRow(table, field(row, "bucket"), field(row, "name"), field(row, "generation"), now));
            }
        }
    }

    private static String field(DynamicMessage row, String name) {
        Descriptors.FieldDescriptor fd = row.getDescriptorForType().findFieldByName(name);
        return fd == null || !row.hasField(fd) ? "" : String.valueOf(row.getField(fd));
    }

    private String committedText() {
        StringBuilder out = new StringBuilder();
        synchronized (committed) {
            for (CommittedRow r : committed) {
                out.append(r.table()).append('\t').append(r.bucket()).append('\t').append(r.name()).append('\t')
                        .append(r.generation()).append('\t').append(r.commitMillis()).append('\n');
            }
        }
        return out.toString();
    }

    private String statsText(FakeBigQueryWrite write) {
        int rows;
        synchronized (committed) {
            rows = committed.size();
        }
        return "committed_rows=" + rows + "\n"
                + "uncommitted_rows=" + write.uncommittedRows() + "\n"
                + "pending_streams_created=" + write.pendingStreamsCreated() + "\n"
                + "offset_already_exists_answers=" + write.alreadyExistsAnswers() + "\n"
                + "stream_already_committed_answers=" + write.alreadyCommittedAnswers() + "\n";
    }

    private static void send(HttpExchange ex, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
