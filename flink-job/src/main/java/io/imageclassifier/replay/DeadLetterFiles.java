package io.imageclassifier.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the job's dead-letter files (JSON Lines, one {@code DeadLetter} per line) and selects the
 * ones to replay: those marked {@code retryable}, or those with one of the reasons asked for. Only
 * Cloud Storage objects can be replayed (a local file is replayed by copying it again).
 *
 * <p>Each selected dead letter gets a replay id derived from its content (object version, reason,
 * time), so replaying the same file again yields the same ids and the job's dedupe drops them; a
 * later dead letter of the same object (its replay failed too) gets a new id. Of several dead
 * letters of one object version in the files, only the latest is replayed.
 */
public final class DeadLetterFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A dead letter chosen for replay. */
    public record Selected(String bucket, String name, String generation, String reason, long eventTime,
            String replayId) {
        String object() {
            return "gs://" + bucket + "/" + name + "#" + generation;
        }
    }

    /** What was read: the selection, and how many dead letters were left out (and why). */
    public record Selection(List<Selected> selected, int read, int notSelected, int local, int unreadable) {}

    private DeadLetterFiles() {}

    /**
     * @param path    a dead-letter file or a directory of them (searched recursively; hidden files,
     *                such as a sink's in-progress parts, are skipped)
     * @param reasons reason codes to replay; empty: every dead letter marked {@code retryable}
     */
    public static Selection select(Path path, Set<String> reasons) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(path)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        }
        Map<String, Selected> latest = new LinkedHashMap<>();
        int read = 0;
        int notSelected = 0;
        int local = 0;
        int unreadable = 0;
        for (Path file : files) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                read++;
                JsonNode d;
                try {
                    d = JSON.readTree(line);
                } catch (IOException e) {
                    unreadable++;
                    continue;
                }
                String reason = d.path("reason").asText("");
                boolean wanted = reasons.isEmpty() ? d.path("retryable").asBoolean(false) : reasons.contains(reason);
                if (!wanted) {
                    notSelected++;
                    continue;
                }
                String bucket = d.path("bucket").asText("");
                String name = d.path("name").asText("");
                String generation = d.path("generation").asText("");
                if ("local".equals(bucket)) {
                    local++;
                    continue;
                }
                if (bucket.isEmpty() || name.isEmpty() || !generation.matches("[0-9]+")) {
                    unreadable++;
                    continue;
                }
                long eventTime = d.path("event_time").asLong(0);
                Selected s = new Selected(bucket, name, generation, reason, eventTime,
                        replayId(bucket + "/" + name + "#" + generation + "|" + reason + "|" + eventTime));
                latest.merge(s.object(), s, (a, b) -> b.eventTime() >= a.eventTime() ? b : a);
            }
        }
        return new Selection(new ArrayList<>(latest.values()), read, notSelected, local, unreadable);
    }

    private static String replayId(String content) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
            return "dl-" + HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
