package io.imageclassifier.classify;

import io.imageclassifier.testing.SharedData;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelsTest {

    @TempDir
    Path dir;

    @Test
    void oneLabelPerLineIndexedFromZero() throws Exception {
        Labels l = Labels.load(Files.writeString(dir.resolve("l.txt"), "tench\r\ngoldfish\ngreat white shark\n\n"));
        assertThat(l.asList()).containsExactly("tench", "goldfish", "great white shark");
        assertThat(l.get(1)).isEqualTo("goldfish");
    }

    @Test
    void sharedImagenetLabelsHave1000Classes() throws Exception {
        Labels l = Labels.load(SharedData.labels());
        assertThat(l.size()).isEqualTo(1000);
        assertThat(l.get(0)).isEqualTo("tench");
    }

    @Test
    void anEmptyLineBeforeTheLastLabelIsRejected() throws Exception {
        Path f = Files.writeString(dir.resolve("l.txt"), "a\n\nb\n");
        assertThatThrownBy(() -> Labels.load(f)).isInstanceOf(IOException.class).hasMessageContaining("line 2");
    }
}
