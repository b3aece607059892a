package io.imageclassifier.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark image set: files on disk, their bytes (loaded once, so the loops time decoding and
 * inference rather than disk reads), and the expected class index of each where it is labelled.
 *
 * @param labels expected class index per file, -1 where unknown; null for an unlabelled set
 */
record ImageSet(String name, List<Path> files, List<byte[]> bytes, int[] labels) {

    boolean labelled() {
        return labels != null;
    }

    long totalBytes() {
        long n = 0;
        for (byte[] b : bytes) {
            n += b.length;
        }
        return n;
    }

    /** The ImageNet dev set: {@code manifest.tsv} ({@code file, wnid, class_index, class_name}) gives the labels. */
    static ImageSet dev(Path dir, int limit) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("manifest.tsv"));
            Map<String, Integer> byFile = new HashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    String[] f = line.split("\t");
                    byFile.put(f[0], Integer.parseInt(f[2]));
                }
            }
            List<Path> files = byFile.keySet().stream().sorted().map(dir::resolve).limit(limit).toList();
            int[] labels = files.stream().mapToInt(f -> byFile.get(f.getFileName().toString())).toArray();
            return new ImageSet("dev", files, readAll(files), labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ImageSet unlabelled(String name, List<Path> files) {
        return new ImageSet(name, files, readAll(files), null);
    }

    private static List<byte[]> readAll(List<Path> files) {
        List<byte[]> out = new ArrayList<>(files.size());
        for (Path f : files) {
            try {
                out.add(Files.readAllBytes(f));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
