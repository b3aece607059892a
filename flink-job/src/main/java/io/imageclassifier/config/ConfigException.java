package io.imageclassifier.config;

/** A configuration value is missing or invalid; the message names the flag. */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Throws {@code "<flag> <problem>"} unless {@code condition} holds. */
    static void require(boolean condition, String flag, String problem) {
        if (!condition) {
            throw new ConfigException(flag + " " + problem);
        }
    }
}
