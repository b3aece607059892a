package io.imageclassifier.sink.bigquery.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The BigQuery REST calls table setup makes, for tests: {@code tables.get} (404 when missing),
 * {@code tables.insert} (409 when present) and {@code tables.patch} of the schema (400 when it drops
 * or changes a column, as BigQuery refuses; 403 after {@link #denyUpdates()}), on a loopback HTTP
 * port. Tables are kept as the JSON resources the client sent.
 */
public final class FakeBigQueryRest implements AutoCloseable {

    private static final Pattern GET = Pattern.compile("/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/([^/?]+)");
    private static final Pattern INSERT = Pattern.compile("/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/?");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, ObjectNode> tables = new ConcurrentHashMap<>();
    private volatile boolean denyUpdates;
    private HttpServer server;

    public FakeBigQueryRest start() throws IOException {
        return start(0);
    }

    /** Starts on 127.0.0.1 and {@code port} (0: a free one). */
    public FakeBigQueryRest start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    /** {@code http://127.0.0.1:PORT}, for {@code --bigquery-endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Puts a table with the given {@code schema.fields} JSON array. */
    public void putTable(String project, String dataset, String table, String fieldsJson) throws IOException {
        ObjectNode resource = JSON.createObjectNode();
        resource.putObject("tableReference").put("projectId", project).put("datasetId", dataset).put("tableId", table);
        resource.put("type", "TABLE");
        resource.putObject("schema").set("fields", JSON.readTree(fieldsJson));
        tables.put(key(project, dataset, table), resource);
    }

    /** Every later {@code tables.patch} is refused with 403, as for a principal without bigquery.tables.update. */
    public void denyUpdates() {
        denyUpdates = true;
    }

    /** The stored table resource, or null. */
    public JsonNode table(String project, String dataset, String table) {
        return tables.get(key(project, dataset, table));
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        Matcher get = GET.matcher(path);
        Matcher insert = INSERT.matcher(path);
        String method = ex.getRequestMethod();
        String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
        if (method.equals("POST") && override != null) {
            method = override; // the Java HTTP transport sends PATCH as an overridden POST
        }
        if (method.equals("PATCH") && get.matches()) {
            patch(ex, key(get.group(1), get.group(2), get.group(3)));
        } else if (method.equals("GET") && get.matches()) {
            ObjectNode t = tables.get(key(get.group(1), get.group(2), get.group(3)));
            if (t == null) {
                error(ex, 404, "notFound", "Not found: Table " + get.group(1) + ":" + get.group(2) + "." + get.group(3));
            } else {
                send(ex, 200, t);
            }
        } else if (method.equals("POST") && insert.matches()) {
            ObjectNode body = body(ex);
            JsonNode ref = body.path("tableReference");
            String key = key(ref.path("projectId").asText(), ref.path("datasetId").asText(), ref.path("tableId").asText());
            if (tables.putIfAbsent(key, body) != null) {
                error(ex, 409, "duplicate", "Already Exists: Table " + key);
            } else {
                body.put("id", key).put("kind", "bigquery#table").put("type", "TABLE");
                send(ex, 200, body);
            }
        } else {
            error(ex, 501, "notImplemented", "fake: " + method + " " + path);
        }
    }

    /** Replaces the schema; like BigQuery, only adding columns is allowed. */
    private void patch(HttpExchange ex, String key) throws IOException {
        ObjectNode body = body(ex);
        ObjectNode table = tables.get(key);
        if (table == null) {
            error(ex, 404, "notFound", "Not found: Table " + key);
            return;
        }
        if (denyUpdates) {
            error(ex, 403, "accessDenied", "Access Denied: Table " + key
                    + ": Permission bigquery.tables.update denied on table " + key + " (or it may not exist).");
            return;
        }
        JsonNode oldFields = table.path("schema").path("fields");
        JsonNode newFields = body.path("schema").path("fields");
        for (int i = 0; i < oldFields.size(); i++) {
            JsonNode was = oldFields.get(i);
            JsonNode now = newFields.get(i);
            if (now == null || !now.path("name").asText().equals(was.path("name").asText())
                    || !now.path("type").asText().equals(was.path("type").asText())) {
                error(ex, 400, "invalid", "Provided Schema does not match Table " + key + ". Field "
                        + was.path("name").asText() + " is missing or changed in new schema");
                return;
            }
        }
        table.set("schema", body.path("schema"));
        send(ex, 200, table);
    }

    private static ObjectNode body(HttpExchange ex) throws IOException {
        InputStream in = ex.getRequestBody();
        if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
            in = new GZIPInputStream(in);
        }
        return (ObjectNode) JSON.readTree(in);
    }

    private static void error(HttpExchange ex, int code, String reason, String message) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error").put("code", code).put("message", message);
        error.putArray("errors").addObject().put("reason", reason).put("message", message);
        send(ex, code, body);
    }

    private static void send(HttpExchange ex, int code, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String key(String project, String dataset, String table) {
        return project + ":" + dataset + "." + table;
    }
}
