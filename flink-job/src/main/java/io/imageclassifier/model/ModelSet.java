package io.imageclassifier.model;

/**
 * The versions a TaskManager classifies with at one moment: the current one, and the canary
 * candidate or null. Published as a whole, so an image never sees half a swap.
 */
public record ModelSet(ModelHandle current, ModelHandle candidate) {

    public ModelSet {
        if (current == null) {
            throw new IllegalArgumentException("a model set needs a current version");
        }
    }

    /** The versions of one image's classification, held open until {@link #close()}. */
    public record Pinned(ModelHandle current, ModelHandle candidate) implements AutoCloseable {
        @Override
        public void close() {
            current.unpin();
            if (candidate != null) {
                candidate.unpin();
            }
        }
    }

    /**
     * Pins the versions of {@code supply}'s latest set. A swap retires the old set right after
     * publishing the new one, so a failed pin means a newer set is there to read.
     */
    public static Pinned pin(ModelSupply supply) {
        while (true) {
            ModelSet set = supply.models();
            if (set.current().tryPin()) {
                ModelHandle candidate = set.candidate();
                return new Pinned(set.current(), candidate != null && candidate.tryPin() ? candidate : null);
            }
            if (supply.models() == set) {
                throw new IllegalStateException("the model supply was closed");
            }
        }
    }
}
