package io.imageclassifier.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadLetterFilesTest {

    @TempDir Path dir;

    private static String line(String name, String reason, String generation, long time, boolean retryable) {
        return String.format("{\"name\":\"%s\",\"reason\":\"%s\",\"message\":\"m\",\"bucket\":\"b\",\"generation\":\"%s\","
                + "\"stage\":\"fetch\",\"message_id\":\"1\",\"event_time\":%d,\"retryable\":%s}",
                name, reason, generation, time, retryable);
    }

    private void write(String file, String... lines) throws Exception {
        Path p = dir.resolve(file);
        Files.createDirectories(p.getParent());
        Files.write(p, List.of(lines));
    }

    @Test
    void selectsRetryableDeadLettersByDefaultWithStableReplayIds() throws Exception {
        write("2026-12-01--06/dead-letter-0-0.json",
                line("a.jpg", "fetch_timeout", "11", 1000, true),
                line("b.jpg", "not_found", "12", 1000, false),
                "{\"name\":\"c.jpg\",\"reason\":\"decode_error\",\"bucket\":\"local\",\"generation\":\"1-2\","
                        + "\"retryable\":true}");
        write(".dead-letter-0-1.json.inprogress", line("d.jpg", "fetch_timeout", "13", 1000, true));

        DeadLetterFiles.Selection first = DeadLetterFiles.select(dir, Set.of());
        DeadLetterFiles.Selection again = DeadLetterFiles.select(dir, Set.of());

        assertThat(first.selected()).extracting(DeadLetterFiles.Selected::name).containsExactly("a.jpg");
        assertThat(first.read()).isEqualTo(3);
        assertThat(first.notSelected()).isEqualTo(1);
        assertThat(first.local()).isEqualTo(1);
        assertThat(first.selected().get(0).replayId()).matches("dl-[0-9a-f]{24}")
                .isEqualTo(again.selected().get(0).replayId());
    }

    @Test
    void selectsByNamedReasonsAndReplaysOnlyTheLatestDeadLetterOfAnObjectVersion() throws Exception {
        write("part-0.json",
                line("a.jpg", "fetch_error", "11", 1000, true),
                line("a.jpg", "fetch_error", "11", 2000, true),
                line("b.jpg", "not_found", "12", 1000, false),
                line("c.jpg", "decode_error", "13", 1000, false),
                "not json");

        DeadLetterFiles.Selection s = DeadLetterFiles.select(dir, Set.of("fetch_error", "not_found"));

        assertThat(s.selected()).extracting(DeadLetterFiles.Selected::name, DeadLetterFiles.Selected::eventTime)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a.jpg", 2000L),
                        org.assertj.core.groups.Tuple.tuple("b.jpg", 1000L));
        assertThat(s.unreadable()).isEqualTo(1);
        // A later dead letter of the same object (its replay failed too) is a new replay.
        assertThat(DeadLetterFiles.select(dir, Set.of("fetch_error")).selected().get(0).replayId())
                .isNotEqualTo(replayIdOfFirstLine());
    }

    private String replayIdOfFirstLine() throws Exception {
        Path only = Files.createTempDirectory(dir, "one");
        Files.write(only.resolve("x.json"), List.of(line("a.jpg", "fetch_error", "11", 1000, true)));
        return DeadLetterFiles.select(only, Set.of()).selected().get(0).replayId();
    }
}
