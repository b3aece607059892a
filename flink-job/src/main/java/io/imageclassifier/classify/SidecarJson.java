package io.imageclassifier.classify;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Typed access to a model sidecar's JSON object; type errors name the key. */
record SidecarJson(JsonNode root) {

    private JsonNode get(String key) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? null : n;
    }

    int integer(String key, int dflt) {
        JsonNode n = get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(key + " must be an integer, got " + n);
        }
        return n.asInt();
    }

    double number(String key, double dflt) {
        JsonNode n = get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(key + " must be a number, got " + n);
        }
        return n.asDouble();
    }

    String text(String key, String dflt) {
        JsonNode n = get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(key + " must be a string, got " + n);
        }
        return n.asText();
    }

    List<Double> numbers(String key, List<Double> dflt) {
        JsonNode n = get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException(key + " must be an array of numbers, got " + n);
        }
        List<Double> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isNumber()) {
                throw new IllegalArgumentException(key + " must be an array of numbers, got " + n);
            }
            out.add(e.asDouble());
        }
        return out;
    }

    <E extends Enum<E>> E choice(String key, Class<E> type, E dflt) {
        String s = text(key, null);
        if (s == null) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                allowed.add(c.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException(key + " must be one of " + allowed + ", got \"" + s + "\"");
        }
    }
}
