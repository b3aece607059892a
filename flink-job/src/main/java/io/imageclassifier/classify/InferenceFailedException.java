package io.imageclassifier.classify;

/**
 * The model run itself failed: a broken or closed session, the execution provider out of memory, a
 * model whose output does not match its labels. Never caused by an image's bytes (every image
 * reaches the model as a tensor of the same shape with finite values), so it is unchecked and fails
 * the task: the job restarts from its last checkpoint with a fresh session, and the image is retried
 * instead of being dead-lettered for a fault of the process.
 */
public final class InferenceFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InferenceFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
