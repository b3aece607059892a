package io.imageclassifier.model.canary;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CanarySamplerTest {

    private static long sampledOf(CanarySampler s, int n) {
        return IntStream.range(0, n).filter(i -> s.sampled("images/photo-" + i + ".jpg#170000000000" + i)).count();
    }

    @Test
    void samplesTheGivenShareOfKeys() {
        assertThat(sampledOf(new CanarySampler(0.25), 20_000)).isBetween(4_700L, 5_300L);
        assertThat(sampledOf(new CanarySampler(0.01), 20_000)).isBetween(140L, 260L);
    }

    @Test
    void noneAtZeroAndAllAtOne() {
        assertThat(sampledOf(new CanarySampler(0.0), 1_000)).isZero();
        assertThat(sampledOf(new CanarySampler(1.0), 1_000)).isEqualTo(1_000);
    }

    @Test
    void theChoiceDependsOnlyOnTheKey() {
        CanarySampler a = new CanarySampler(0.5);
        CanarySampler b = new CanarySampler(0.5);
        for (int i = 0; i < 1_000; i++) {
            String key = "b/n" + i + "#1";
            assertThat(a.sampled(key)).isEqualTo(b.sampled(key)).isEqualTo(a.sampled(key));
        }
    }

    @Test
    void aLargerShareKeepsEveryKeyOfASmallerOne() {
        CanarySampler small = new CanarySampler(0.1);
        CanarySampler large = new CanarySampler(0.3);
        for (int i = 0; i < 5_000; i++) {
            String key = "b/n" + i + "#1";
            if (small.sampled(key)) {
                assertThat(large.sampled(key)).as(key).isTrue();
            }
        }
    }

    @Test
    void theSampleIsNotTiedToFlinkKeyGroups() {
        // Sampled keys spread over key groups as all keys do: no subtask is left without a sample.
        CanarySampler s = new CanarySampler(0.1);
        long groupsHit = IntStream.range(0, 20_000).mapToObj(i -> "b/n" + i + "#1").filter(s::sampled)
                .mapToInt(k -> org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignToKeyGroup(k, 128))
                .distinct().count();
        assertThat(groupsHit).isEqualTo(128);
    }
}
