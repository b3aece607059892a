package io.imageclassifier.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads the committed JSON Lines files a FileSink wrote (hidden in-progress files are skipped). */
public final class JsonRows {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonRows() {}

    public static List<JsonNode> read(Path dir) {
        // A running FileSink renames and deletes its hidden in-progress files while the folder is
        // walked: a file that vanished between listing and reading means "look again".
        for (int attempt = 1; ; attempt++) {
            try {
                return readOnce(dir);
            } catch (NoSuchFileException e) {
                if (attempt == 10) {
                    throw new UncheckedIOException(e);
                }
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException) || attempt == 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static List<JsonNode> readOnce(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> p.getFileName().toString().endsWith(".jsonl"))
                    .sorted().toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank()) {
                        rows.add(MAPPER.readTree(line));
                    }
                }
            }
        }
        return rows;
    }
}
