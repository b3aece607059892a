package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.imageclassifier.classify.FuzzCorpus.Seed;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Runs the decoder and the preprocessing, as the classify operator does, over thousands of mutated
 * real images ({@link FuzzCorpus}, {@link Mutator}) and checks that every input ends as a decoded
 * image or an {@link ImageRejectedException}: no other exception or error (each would fail the
 * task and, redelivered, fail it again forever), no input slower than {@value #MAX_MILLIS} ms, and
 * none allocating more than the decode budget ({@link ImageLimits#maxDecodeBytes()}) plus a fixed
 * slack for the reader's own state.
 *
 * <p>Seeded and reproducible: a failure prints the case number and seed; rerun one case with
 * {@code -Dfuzz.seed=S -Dfuzz.case=N}, or a longer run with {@code -Dfuzz.cases=100000}.
 */
class DecoderFuzzTest {

    static final long SEED = Long.getLong("fuzz.seed", 20_261_201L);
    static final int CASES = Integer.getInteger("fuzz.cases", 10_000);
    static final int ONE_CASE = Integer.getInteger("fuzz.case", -1);
    static final long MAX_MILLIS = 5000;
    /** Reader state, row buffers, metadata: allocated on top of the budgeted pixels. */
    static final long SLACK_BYTES = 48L << 20;
    /**
     * Where libwebp is missing, WebP goes to TwelveMonkeys' reader, whose lossless (VP8L) decoder
     * builds one set of Huffman tables per prefix-code group before it decodes a pixel, and a few
     * hostile bytes can declare 65,536 groups: hundreds of MB of short-lived garbage and seconds of
     * CPU (measured), whatever the image size. The heap it holds at once stays small (such inputs
     * decode with -Xmx64m). Allowed, and named, only on that fallback; with libwebp (as in CI) WebP
     * is held to the same bound as every other format ({@code WebpDecoderTest}).
     */
    static final long VP8L_HUFFMAN_GARBAGE_BYTES = 700L << 20;

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void everyMutatedImageIsDecodedOrRejectedWithinBoundedTimeAndHeap() throws Exception {
        List<Seed> seeds = FuzzCorpus.seeds(HeifDecoder.available());
        ImageLimits limits = ImageLimits.defaults();
        ImageDecoder decoder = new ImageDecoder(limits);
        Preprocessor pre = new Preprocessor(PreprocessSpec.defaults());
        float[] tensor = new float[pre.tensorSize()];
        for (Seed s : seeds) {
            pre.preprocess(decoder.decode(s.bytes(), pre.spec()), tensor, 0); // the seeds themselves are valid
        }
        long maxBytes = limits.maxDecodeBytes() + SLACK_BYTES;
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long slowest = 0;
        long mostAllocated = 0;
        long start = System.nanoTime();
        int from = ONE_CASE >= 0 ? ONE_CASE : 0;
        int to = ONE_CASE >= 0 ? ONE_CASE + 1 : CASES;
        for (int i = from; i < to; i++) {
            Seed seed = seeds.get(i % seeds.size());
            Seed other = seeds.get((i * 7 + 3) % seeds.size());
            Mutator.Mutant m = Mutator.mutate(seed.bytes(), other.bytes(), SEED * 1_000_003L + i);
            String outcome;
            Throwable unexpected = null;
            long allocated0 = THREADS.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            try {
                pre.preprocess(decoder.decode(m.bytes(), pre.spec()), tensor, 0);
                outcome = "decoded";
            } catch (ImageRejectedException e) {
                outcome = e.reason().code();
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    unexpected = new AssertionError("rejection without a message", e);
                }
            } catch (Throwable e) {
                outcome = "UNEXPECTED " + e.getClass().getSimpleName();
                unexpected = e;
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocated0;
            slowest = Math.max(slowest, millis);
            mostAllocated = Math.max(mostAllocated, allocated);
            outcomes.merge(outcome, 1, Integer::sum);
            long bound = maxBytes + (!WebpDecoder.available() && WebpDecoder.isWebp(m.bytes()) ? VP8L_HUFFMAN_GARBAGE_BYTES : 0);
            String problem = unexpected != null ? unexpected.toString()
                    : millis > MAX_MILLIS ? "took " + millis + " ms"
                    : allocated > bound ? "allocated " + (allocated >> 20) + " MiB, above " + (bound >> 20) : null;
            if (problem != null) {
                String msg = String.format("case %d of %s (-Dfuzz.seed=%d -Dfuzz.case=%d) [%s]: %s", i, seed.name(),
                        SEED, i, m.description(), problem);
                failures.add(msg);
                System.out.println("FUZZ FAILURE " + msg);
                if (unexpected != null && failures.size() <= 3) {
                    unexpected.printStackTrace(System.out);
                }
            }
        }
        System.out.printf("decoder fuzz: %d cases from %d seeds (seed %d) in %d ms; slowest %d ms, most allocated %d MiB;"
                + " outcomes %s%n", to - from, seeds.size(), SEED, (System.nanoTime() - start) / 1_000_000, slowest,
                mostAllocated >> 20, outcomes);
        assertThat(failures).as("inputs that did not end as an image or a rejection in bounded time and heap").isEmpty();
    }
}
