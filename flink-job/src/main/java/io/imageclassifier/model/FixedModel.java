package io.imageclassifier.model;

import io.imageclassifier.classify.SharedModelRegistry;

/** The one model of {@code --model}: never swapped, released when its user closes. */
final class FixedModel implements ModelSupply {

    private final ModelSet set;

    FixedModel(SharedModelRegistry.Lease lease) {
        this.set = new ModelSet(new ModelHandle(lease), null);
    }

    @Override
    public ModelSet models() {
        return set;
    }

    @Override
    public int refusedVersions() {
        return 0;
    }

    @Override
    public void close() {
        set.current().retire();
    }
}
