package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.imageclassifier.record.TopKEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScoresTest {

    @Test
    void softmaxOfKnownLogits() {
        // exp(0), exp(ln 2), exp(ln 5) = 1, 2, 5 -> /8
        float[] logits = {99f, 0f, (float) Math.log(2), (float) Math.log(5)};
        double[] p = new double[3];
        Scores.softmax(logits, 1, 3, p);
        assertThat(p[0]).isCloseTo(0.125, within(1e-6));
        assertThat(p[1]).isCloseTo(0.25, within(1e-6));
        assertThat(p[2]).isCloseTo(0.625, within(1e-6));
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        double[] p = new double[2];
        Scores.softmax(new float[] {1000f, 1000f}, 0, 2, p);
        assertThat(p).containsExactly(0.5, 0.5);
    }

    @Test
    void topKIsBestFirstWithTiesToTheLowerIndex() {
        double[] p = {0.1, 0.3, 0.05, 0.3, 0.25, 0.0};
        assertThat(Scores.topK(p, p.length, 3)).containsExactly(1, 3, 4);
        assertThat(Scores.topK(p, p.length, 1)).containsExactly(1);
        assertThat(Scores.topK(p, p.length, 10)).containsExactly(1, 3, 4, 0, 2, 5);
    }

    @Test
    void entriesCarryLabelIndexAndScore() {
        double[] p = {0.2, 0.7, 0.1};
        TopKEntry[] e = Scores.entries(Scores.topK(p, 3, 2), p, Labels.of(List.of("a", "b", "c")));
        assertThat(e).containsExactly(new TopKEntry("b", 1, 0.7), new TopKEntry("a", 0, 0.2));
    }
}
