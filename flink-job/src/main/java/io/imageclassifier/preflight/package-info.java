/**
 * Checks made once, where the job is submitted (its {@code main}, on the client or the JobManager),
 * of what would otherwise fail later on every TaskManager in a restart loop: the checkpointing the
 * job runs with, the output file systems, the model and its labels. Each failure is a
 * {@link io.imageclassifier.config.ConfigException} naming the flag or setting and what to do.
 */
package io.imageclassifier.preflight;
