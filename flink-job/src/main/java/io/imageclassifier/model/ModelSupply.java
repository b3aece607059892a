package io.imageclassifier.model;

/**
 * Where a classifying subtask gets the model versions to use: one fixed model, or a TaskManager's
 * {@link ModelWatcher}. {@link #close()} ends this user's hold.
 */
public interface ModelSupply extends AutoCloseable {

    /** The latest published set; pin it with {@link ModelSet#pin} before use. */
    ModelSet models();

    /** Versions this TaskManager refused at load since it started watching (0 for a fixed model). */
    int refusedVersions();

    @Override
    void close();
}
