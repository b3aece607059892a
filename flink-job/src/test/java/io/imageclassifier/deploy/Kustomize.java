package io.imageclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Renders a kustomization with {@code kubectl kustomize}, the way deploy.sh applies it. */
final class Kustomize {

    static final YAMLMapper YAML = new YAMLMapper();

    private Kustomize() {}

    /** The rendered objects of the kustomization in {@code dir}, in output order. */
    static List<JsonNode> render(Path dir) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                    .redirectErrorStream(false)
                    .start();
        } catch (IOException e) {
            String message = "kubectl not found on PATH: the manifest tests render k8s/ with `kubectl kustomize` "
                    + "(kubectl >= 1.27, kustomize v5); install kubectl to run them";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(message + " (CI=true: the manifest tests must run)", e);
            }
            // mvn test works on a machine without kubectl: these tests are skipped, saying why.
            org.junit.jupiter.api.Assumptions.abort(message + ": skipping (they run in CI)");
            throw new AssertionError("unreachable", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("kubectl kustomize " + dir + " failed:\n" + new String(err, StandardCharsets.UTF_8));
        }
        return parseAll(new String(out, StandardCharsets.UTF_8));
    }

    /** All documents of a multi-document YAML stream. */
    static List<JsonNode> parseAll(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** The one object of this kind (and name, when not null) in {@code docs}. */
    static JsonNode only(List<JsonNode> docs, String kind, String name) {
        List<JsonNode> found = docs.stream()
                .filter(d -> kind.equals(d.path("kind").asText()))
                .filter(d -> name == null || name.equals(d.path("metadata").path("name").asText()))
                .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + (name == null ? "" : " " + name) + ", found " + found.size());
        }
        return found.get(0);
    }
}
