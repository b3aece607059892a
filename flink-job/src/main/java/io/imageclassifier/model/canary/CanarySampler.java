package io.imageclassifier.model.canary;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * Picks the images a canary compares: a fixed share of keys, by a hash of the key alone, so the
 * choice is the same on every subtask, after every restart and for every replay of an image. The
 * hash (FNV-1a 64 with a final mix) is unrelated to Flink's key-group hash, so the sample is spread
 * over all subtasks.
 */
public final class CanarySampler implements Serializable {

    private static final long serialVersionUID = 1L;

    private final double fraction;

    public CanarySampler(double fraction) {
        if (!(fraction >= 0.0 && fraction <= 1.0)) {
            throw new IllegalArgumentException("fraction must be between 0 and 1, got " + fraction);
        }
        this.fraction = fraction;
    }

    /** Whether the image with this key is compared. */
    public boolean sampled(String key) {
        if (fraction >= 1.0) {
            return true;
        }
        // The top 53 bits as a uniform double in [0, 1).
        return (hash(key) >>> 11) * 0x1.0p-53 < fraction;
    }

    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        // splitmix64's finaliser: FNV's high bits alone are poorly mixed for short keys.
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }
}
