package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * Model versions swapped without a restart, and canary rollouts (see {@code docs/model-rollout.md}).
 *
 * @param repository         watched model repository (a local folder or {@code gs://} prefix holding one
 *                           folder per version and a {@code CURRENT} pointer), or null for the one fixed
 *                           {@code --model}
 * @param pollInterval       how often every TaskManager reads the repository's pointers
 * @param canaryFraction     share of images (by a hash of their key) also classified by the candidate; 0: off
 * @param canaryImages       sampled images after which the judge decides
 * @param canaryMinAgreement share of those whose top label must agree with the current version's to promote
 * @param canaryAutoPromote  whether the judge publishes its decision (rewrites {@code CURRENT}, writes
 *                           {@code REJECTED}); otherwise it only logs it and counts it
 */
public record ModelRolloutSettings(
        String repository,
        Duration pollInterval,
        double canaryFraction,
        int canaryImages,
        double canaryMinAgreement,
        boolean canaryAutoPromote) implements Serializable {

    public ModelRolloutSettings {
        ConfigException.require(repository == null || !repository.isBlank(), "--model-repository", "must not be empty");
        ConfigException.require(pollInterval != null && pollInterval.toMillis() > 0, "--model-poll-interval",
                "must be positive");
        ConfigException.require(canaryFraction >= 0.0 && canaryFraction <= 1.0, "--canary-fraction",
                "must be between 0 and 1, was " + canaryFraction);
        ConfigException.require(canaryFraction == 0.0 || repository != null, "--canary-fraction",
                "needs --model-repository (the candidate is the repository's CANDIDATE version)");
        ConfigException.require(canaryImages >= 1, "--canary-images", "must be >= 1, was " + canaryImages);
        ConfigException.require(canaryMinAgreement >= 0.0 && canaryMinAgreement <= 1.0, "--canary-min-agreement",
                "must be between 0 and 1, was " + canaryMinAgreement);
        ConfigException.require(!canaryAutoPromote || canaryFraction > 0, "--canary-auto-promote",
                "needs --canary-fraction above 0");
    }

    /** Whether a model repository is watched (otherwise {@code --model} is loaded once). */
    public boolean watched() {
        return repository != null;
    }

    /** Whether a candidate version is compared on a sample of the images. */
    public boolean canary() {
        return canaryFraction > 0.0;
    }
}
