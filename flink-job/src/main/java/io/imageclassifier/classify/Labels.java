package io.imageclassifier.classify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Class names of a model's output, one per line of a UTF-8 text file; line number = class index. */
public final class Labels {

    private final List<String> names;

    private Labels(List<String> names) {
        this.names = List.copyOf(names);
    }

    /**
     * Reads a labels file. Trailing empty lines are ignored; an empty line before the last label
     * is rejected, since it would shift every later index.
     */
    public static Labels load(Path file) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        if (lines.isEmpty()) {
            throw new IOException("labels file " + file + " has no labels");
        }
        for (int i = 0; i < lines.size(); i++) {
            String s = lines.get(i).strip();
            if (s.isEmpty()) {
                throw new IOException("labels file " + file + " has an empty line " + (i + 1) + " before the last label");
            }
            lines.set(i, s);
        }
        return new Labels(lines);
    }

    public static Labels of(List<String> names) {
        return new Labels(names);
    }

    public int size() {
        return names.size();
    }

    /** The name of class {@code index}. */
    public String get(int index) {
        return names.get(index);
    }

    public List<String> asList() {
        return names;
    }
}
