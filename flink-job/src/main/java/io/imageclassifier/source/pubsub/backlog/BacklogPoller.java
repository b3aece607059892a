package io.imageclassifier.source.pubsub.backlog;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls a {@link BacklogReader} for the enumerator and sorts what goes wrong, so that a missing
 * backlog never stops the job: it only leaves the readers' {@code pendingRecords} absent (which the
 * autoscaler reads as "no backlog"). Missing permission is logged once, as a WARN naming the role;
 * other failures at most once per {@link #ERROR_LOG_EVERY_MILLIS}; polling goes on either way, so
 * a role granted later is picked up. Called from one thread at a time (the coordinator's worker).
 */
public final class BacklogPoller implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BacklogPoller.class);
    static final long ERROR_LOG_EVERY_MILLIS = 10 * 60_000;
    /** The role the job's identity needs to read the metric. */
    public static final String ROLE = "roles/monitoring.viewer";

    private final BacklogReader.Factory factory;
    private final String subscription;
    private final LongSupplier clock;
    private BacklogReader reader;
    private boolean permissionWarned;
    private long lastErrorLog = -1;
    private boolean failing;

    public BacklogPoller(BacklogReader.Factory factory, String subscription, LongSupplier clock) {
        this.factory = factory;
        this.subscription = subscription;
        this.clock = clock;
    }

    /** The backlog now, or empty when it is not known (no data point, no permission, an error). */
    public OptionalLong poll() {
        try {
            if (reader == null) {
                reader = factory.create();
            }
            OptionalLong value = reader.undeliveredMessages();
            if (failing) {
                LOG.info("Backlog of {} is readable again from Cloud Monitoring", subscription);
                failing = false;
            }
            return value;
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() == StatusCode.Code.PERMISSION_DENIED) {
                if (!permissionWarned) {
                    permissionWarned = true;
                    LOG.warn("Cannot read the backlog of {} from Cloud Monitoring: PERMISSION_DENIED. The job's "
                            + "service account needs {} on the project; until then the source reports no "
                            + "pendingRecords and the autoscaler sees no backlog (the job keeps running). {}",
                            subscription, ROLE, e.getMessage());
                }
            } else {
                logError(e);
            }
        } catch (Exception e) {
            logError(e);
        }
        failing = true;
        return OptionalLong.empty();
    }

    private void logError(Exception e) {
        long now = clock.getAsLong();
        if (lastErrorLog < 0 || now - lastErrorLog >= ERROR_LOG_EVERY_MILLIS) {
            lastErrorLog = now;
            LOG.warn("Cannot read the backlog of {} from Cloud Monitoring (retried at the next poll; the source "
                    + "reports no pendingRecords meanwhile): {}", subscription, e.toString());
        }
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.close();
        }
    }
}
