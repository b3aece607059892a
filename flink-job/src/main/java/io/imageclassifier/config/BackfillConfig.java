package io.imageclassifier.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * The backfill: a bounded listing of the objects already in a bucket, classified like notified
 * ones (and, with a subscription, before and alongside them).
 *
 * @param bucket              bucket to list
 * @param prefix              the prefix of {@code gs://bucket/prefix} (empty: the whole bucket)
 * @param pageSize            objects per list request (the JSON API allows 1 to 1000)
 * @param maxObjectsPerSecond at most this many listed objects per second enter the job, all readers
 *                            together (0: no limit), so live uploads are not queued behind the backlog
 * @param createdAfter        only object versions created at or after this instant; null: all
 * @param progressInterval    how often a progress line is logged
 * @param contentTypePrefix   the notifications' content-type filter, applied to listed objects too
 * @param namePrefix          the notifications' name prefix filter, combined with {@code prefix}
 * @param nameSuffix          the notifications' name suffix filter
 */
public record BackfillConfig(
        String bucket,
        String prefix,
        int pageSize,
        double maxObjectsPerSecond,
        Instant createdAfter,
        Duration progressInterval,
        String contentTypePrefix,
        String namePrefix,
        String nameSuffix) implements Serializable {

    /** The list API's largest page. */
    public static final int MAX_PAGE_SIZE = 1000;

    public BackfillConfig {
        ConfigException.require(bucket != null && bucket.matches("[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]"),
                "--backfill", "must be gs://BUCKET[/PREFIX] with a valid bucket name, was gs://" + bucket);
        prefix = prefix == null ? "" : prefix;
        contentTypePrefix = contentTypePrefix == null ? "" : contentTypePrefix;
        namePrefix = namePrefix == null ? "" : namePrefix;
        nameSuffix = nameSuffix == null ? "" : nameSuffix;
        ConfigException.require(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE, "--backfill-page-size",
                "must be between 1 and " + MAX_PAGE_SIZE + ", was " + pageSize);
        ConfigException.require(maxObjectsPerSecond >= 0, "--backfill-rate", "must be 0 (no limit) or positive");
        ConfigException.require(progressInterval != null && progressInterval.toMillis() >= 1000,
                "--backfill-progress-interval", "must be at least 1s");
        ConfigException.require(prefix.startsWith(namePrefix) || namePrefix.startsWith(prefix), "--name-prefix",
                namePrefix + " and the --backfill prefix " + prefix + " exclude each other: nothing would be listed");
    }

    /** Whether {@code location} names a bucket ({@code gs://...}) rather than a local directory. */
    public static boolean isGcs(String location) {
        return location.startsWith("gs://");
    }

    /** {@code gs://bucket[/prefix]} split into bucket and prefix (empty when absent). */
    public static String[] bucketAndPrefix(String location) {
        String rest = location.substring("gs://".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? new String[] {rest, ""} : new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
    }

    /** The prefix the list requests ask for: the longer of the location's prefix and {@code --name-prefix}. */
    public String listPrefix() {
        return prefix.length() >= namePrefix.length() ? prefix : namePrefix;
    }

    /** {@code gs://bucket/prefix}, for names and log lines. */
    public String location() {
        return "gs://" + bucket + "/" + prefix;
    }
}
