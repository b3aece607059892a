package io.imageclassifier.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates objects against the {@code openAPIV3Schema} of a CustomResourceDefinition, as the API
 * server would with strict field validation (kubectl's default since 1.27): the schema is used
 * as JSON Schema, and every object schema that lists its {@code properties} and neither allows
 * additional ones nor preserves unknown fields rejects unknown fields, so a misspelt field fails
 * instead of being pruned silently.
 */
final class CrdSchemaValidator {

    private final String apiVersion;
    private final String kind;
    private final JsonSchema schema;

    private CrdSchemaValidator(String apiVersion, String kind, JsonSchema schema) {
        this.apiVersion = apiVersion;
        this.kind = kind;
        this.schema = schema;
    }

    /** Loads the served version {@code version} of the CRD in {@code crdFile}. */
    static CrdSchemaValidator load(Path crdFile, String version) throws IOException {
        JsonNode crd = Kustomize.YAML.readTree(Files.readString(crdFile));
        String group = crd.path("spec").path("group").asText();
        String kind = crd.path("spec").path("names").path("kind").asText();
        for (JsonNode v : crd.path("spec").path("versions")) {
            if (version.equals(v.path("name").asText())) {
                ObjectNode openApi = v.path("schema").path("openAPIV3Schema").deepCopy();
                // The API server checks these itself; the CRD schema does not list them.
                ObjectNode props = (ObjectNode) openApi.with("properties");
                props.putObject("apiVersion").put("type", "string");
                props.putObject("kind").put("type", "string");
                props.putObject("metadata").put("type", "object");
                strict(openApi);
                JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(openApi);
                return new CrdSchemaValidator(group + "/" + version, kind, schema);
            }
        }
        throw new IllegalArgumentException(crdFile + " serves no version " + version);
    }

    /** The problems of one object, empty when it is valid. */
    List<String> validate(JsonNode object) {
        if (!apiVersion.equals(object.path("apiVersion").asText()) || !kind.equals(object.path("kind").asText())) {
            return List.of("not a " + apiVersion + " " + kind + ": " + object.path("apiVersion").asText() + " "
                    + object.path("kind").asText());
        }
        Set<ValidationMessage> messages = schema.validate(object);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    private static void strict(JsonNode node) {
        if (node instanceof ObjectNode obj) {
            boolean preserves = obj.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
            if (obj.has("properties") && !obj.has("additionalProperties") && !preserves) {
                obj.put("additionalProperties", false);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
                strict(it.next().getValue());
            }
        } else if (node.isArray()) {
            node.forEach(CrdSchemaValidator::strict);
        }
    }
}
