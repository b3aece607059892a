package io.imageclassifier.model.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.imageclassifier.model.canary.CanaryTally.Outcome;
import org.junit.jupiter.api.Test;

class CanaryTallyTest {

    static CanaryComparison vote(boolean agree, double shift) {
        return new CanaryComparison("b", "n", "1", "m", "v1", "cat", 0.5, "m", "v2", agree ? "cat" : "dog", 0.5 + shift,
                agree, shift, null, 0);
    }

    private static CanaryTally tally(int agree, int disagree) {
        CanaryTally t = CanaryTally.empty();
        for (int i = 0; i < agree; i++) {
            t = t.add(vote(true, 0.01));
        }
        for (int i = 0; i < disagree; i++) {
            t = t.add(vote(false, -0.1));
        }
        return t;
    }

    @Test
    void waitsUntilEnoughImagesWereCompared() {
        assertThat(tally(9, 0).verdict(10, 0.9).outcome()).isEqualTo(Outcome.WAIT);
    }

    @Test
    void promotesWhenTheAgreementReachesTheThreshold() {
        CanaryTally.Verdict v = tally(9, 1).verdict(10, 0.9);
        assertThat(v.outcome()).isEqualTo(Outcome.PROMOTE);
        assertThat(v.reason()).contains("9 of 10 compared images agree").contains("90.0%").contains("mean top-score shift");
    }

    @Test
    void rejectsAsSoonAsTheThresholdCannotBeReached() {
        assertThat(tally(1, 1).verdict(10, 0.9).outcome()).isEqualTo(Outcome.WAIT);
        CanaryTally.Verdict v = tally(1, 2).verdict(10, 0.9);
        assertThat(v.outcome()).isEqualTo(Outcome.REJECT);
        assertThat(v.reason()).contains("2 of 3 compared images disagree").contains("at most 1 of 10");
    }

    @Test
    void thresholdArithmeticHasNoRoundingSurprises() {
        // 0.95 * 20 is 18.999999999999996 in binary floating point: 19 agreeing of 20 must promote.
        assertThat(tally(19, 1).verdict(20, 0.95).outcome()).isEqualTo(Outcome.PROMOTE);
        assertThat(tally(18, 2).verdict(20, 0.95).outcome()).isEqualTo(Outcome.REJECT);
        assertThat(tally(0, 5).verdict(5, 0.0).outcome()).isEqualTo(Outcome.PROMOTE);
        assertThat(tally(4, 0).verdict(5, 1.0).outcome()).isEqualTo(Outcome.WAIT);
        assertThat(tally(4, 1).verdict(5, 1.0).outcome()).isEqualTo(Outcome.REJECT);
    }
}
