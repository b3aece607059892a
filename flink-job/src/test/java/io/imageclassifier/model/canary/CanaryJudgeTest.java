package io.imageclassifier.model.canary;

import static io.imageclassifier.model.canary.CanaryTallyTest.vote;
import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelRolloutSettings;
import io.imageclassifier.testing.ModelRepos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The canary judge on Flink's operator harness, publishing into a local repository. */
class CanaryJudgeTest {

    private static final GcsConfig GCS = new GcsConfig(null, null, 1, Duration.ofSeconds(5), 0, Duration.ZERO);

    @TempDir Path repo;

    @BeforeEach
    void repository() throws Exception {
        Files.createDirectories(repo.resolve("v1"));
        Files.createDirectories(repo.resolve("v2"));
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelRepos.point(repo, "CANDIDATE", "v2");
    }

    private KeyedOneInputStreamOperatorTestHarness<String, CanaryComparison, Void> judge(int images,
            boolean autoPromote, OperatorSubtaskState restore) throws Exception {
        ModelRolloutSettings settings = new ModelRolloutSettings(repo.toString(), Duration.ofSeconds(1), 0.5, images,
                0.8, autoPromote);
        KeyedOneInputStreamOperatorTestHarness<String, CanaryComparison, Void> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new CanaryJudge(settings, GCS)),
                        CanaryComparison::matchup, Types.STRING);
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private static void send(KeyedOneInputStreamOperatorTestHarness<String, CanaryComparison, Void> h, int agree,
            int disagree) throws Exception {
        for (int i = 0; i < agree; i++) {
            h.processElement(new StreamRecord<>(vote(true, 0.02)));
        }
        for (int i = 0; i < disagree; i++) {
            h.processElement(new StreamRecord<>(vote(false, -0.2)));
        }
    }

    @Test
    void promotesAfterEnoughAgreeingImagesByRewritingCurrent() throws Exception {
        try (var h = judge(5, true, null)) {
            send(h, 4, 0);
            assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v1");
            send(h, 1, 0);
        }
        assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v2");
        assertThat(repo.resolve("v2/REJECTED")).doesNotExist();
    }

    @Test
    void rejectsAsSoonAsAgreementCanNoLongerBeReached() throws Exception {
        try (var h = judge(10, true, null)) {
            send(h, 0, 3);
        }
        assertThat(ModelRepos.read(repo.resolve("v2/REJECTED")))
                .contains("rejected against v1").contains("3 of 3 compared images disagree");
        assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v1");
    }

    @Test
    void decidesOnceAndIgnoresLaterComparisons() throws Exception {
        try (var h = judge(5, true, null)) {
            send(h, 5, 0);
            send(h, 0, 20);
        }
        assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v2");
        assertThat(repo.resolve("v2/REJECTED")).doesNotExist();
    }

    @Test
    void withoutAutoPromoteTheVerdictIsOnlyLogged() throws Exception {
        try (var h = judge(5, false, null)) {
            send(h, 5, 0);
        }
        assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v1");
    }

    @Test
    void aPromotionIsNotWrittenWhenTheRepositoryMovedOn() throws Exception {
        ModelRepos.point(repo, "CANDIDATE", "v3");
        try (var h = judge(5, true, null)) {
            send(h, 5, 0);
        }
        assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v1");
    }

    @Test
    void theTallyIsRestoredFromACheckpoint() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var h = judge(5, true, null)) {
            send(h, 3, 0);
            checkpoint = h.snapshot(1, 1);
        }
        try (var h = judge(5, true, checkpoint)) {
            send(h, 2, 0);
        }
        assertThat(ModelRepos.read(repo.resolve("CURRENT"))).isEqualTo("v2");
    }
}
