package io.imageclassifier.classify;

import java.io.IOException;

/** A model, its sidecar or its labels could not be loaded, or they do not fit together. */
public final class ModelLoadException extends IOException {

    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
