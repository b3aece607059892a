package io.imageclassifier.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** An overlay's values.env, read as kustomize's configMapGenerator (and scripts/lib/common.sh) read it. */
final class ValuesEnv {

    private ValuesEnv() {}

    static Map<String, String> read(Path file) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(file + ": not KEY=VALUE: " + line);
            }
            values.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return values;
    }

    static void write(Path file, Map<String, String> values) throws IOException {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Files.writeString(file, sb.toString());
    }
}
