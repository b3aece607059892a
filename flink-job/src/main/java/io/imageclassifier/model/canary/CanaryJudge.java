package io.imageclassifier.model.canary;

import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelRolloutSettings;
import io.imageclassifier.model.ModelRepository;
import io.imageclassifier.model.TextStore;
import io.imageclassifier.model.canary.CanaryTally.Outcome;
import io.imageclassifier.model.canary.CanaryTally.Verdict;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides a canary once for the whole job: every classifying subtask sends its comparisons here (one
 * subtask, keyed by {@link CanaryComparison#matchup()}), the tally is checkpointed keyed state, and the
 * verdict is logged with its reason. With {@code --canary-auto-promote} it is also published where
 * every TaskManager's model watcher reads it: a promotion rewrites {@code CURRENT} (only if
 * {@code CANDIDATE} and {@code CURRENT} still name the compared versions), a rejection writes the
 * candidate's {@code REJECTED} marker. Both writes are idempotent, so a replay after a failure that
 * decides again does no harm.
 *
 * <p>A write the job is not allowed to make is logged and counted ({@value #METRIC_PUBLISH_FAILURES})
 * instead of failing the job: the classifier keeps running on the current version. Any other write
 * failure fails the job, which replays the comparisons and decides again.
 *
 * <p>Metrics (on the {@code canary-judge} operator): {@value #METRIC_PROMOTIONS}, {@value #METRIC_REJECTIONS},
 * {@value #METRIC_PUBLISH_FAILURES}.
 */
public final class CanaryJudge extends KeyedProcessFunction<String, CanaryComparison, Void> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CanaryJudge.class);

    public static final String METRIC_PROMOTIONS = "canaryPromotions";
    public static final String METRIC_REJECTIONS = "canaryRejections";
    public static final String METRIC_PUBLISH_FAILURES = "canaryPublishFailures";
    /** Name of the keyed state holding a {@link CanaryTally}: part of the savepoint contract. */
    public static final String TALLY_STATE = "canary-tally";
    /** Type of that state (a POJO serializer of the record): part of the savepoint contract. */
    public static final TypeInformation<CanaryTally> TALLY_TYPE = TypeInformation.of(CanaryTally.class);

    private final ModelRolloutSettings settings;
    private final GcsConfig gcs;
    private transient ValueState<CanaryTally> tally;
    private transient TextStore store;
    private transient ModelRepository repository;
    private transient Counter promotions;
    private transient Counter rejections;
    private transient Counter publishFailures;

    public CanaryJudge(ModelRolloutSettings settings, GcsConfig gcs) {
        this.settings = settings;
        this.gcs = gcs;
    }

    /** The state's descriptor (its type information is part of the savepoint contract). */
    public static ValueStateDescriptor<CanaryTally> tallyDescriptor() {
        return new ValueStateDescriptor<>(TALLY_STATE, TALLY_TYPE);
    }

    @Override
    public void open(OpenContext openContext) {
        tally = getRuntimeContext().getState(tallyDescriptor());
        repository = new ModelRepository(settings.repository());
        store = TextStore.forLocation(settings.repository(), gcs);
        promotions = getRuntimeContext().getMetricGroup().counter(METRIC_PROMOTIONS);
        rejections = getRuntimeContext().getMetricGroup().counter(METRIC_REJECTIONS);
        publishFailures = getRuntimeContext().getMetricGroup().counter(METRIC_PUBLISH_FAILURES);
    }

    @Override
    public void processElement(CanaryComparison c, Context ctx, Collector<Void> out) throws IOException {
        CanaryTally t = tally.value() == null ? CanaryTally.empty() : tally.value();
        if (t.decided()) {
            return; // comparisons still in flight while the watchers catch up
        }
        t = t.add(c);
        Verdict v = t.verdict(settings.canaryImages(), settings.canaryMinAgreement());
        if (v.outcome() != Outcome.WAIT) {
            (v.outcome() == Outcome.PROMOTE ? promotions : rejections).inc();
            publish(v, c);
            t = t.decide();
        }
        tally.update(t);
    }

    @Override
    public void close() throws IOException {
        if (store != null) {
            store.close();
        }
    }

    private void publish(Verdict v, CanaryComparison c) throws IOException {
        String candidate = c.candidateVersion();
        String current = c.currentVersion();
        String verb = v.outcome() == Outcome.PROMOTE ? "promote" : "reject";
        if (!settings.canaryAutoPromote()) {
            LOG.warn("Canary of {} against {}: would {} it: {}. Not published (--canary-auto-promote is off)",
                    candidate, current, verb, v.reason());
            return;
        }
        try {
            if (v.outcome() == Outcome.PROMOTE) {
                Optional<String> nowCandidate = repository.readPointer(store, ModelRepository.CANDIDATE);
                Optional<String> nowCurrent = repository.readPointer(store, ModelRepository.CURRENT);
                if (!nowCandidate.equals(Optional.of(candidate)) || !nowCurrent.equals(Optional.of(current))) {
                    LOG.warn("Canary of {} against {}: would promote it ({}), but the repository moved on (CURRENT {}, "
                            + "CANDIDATE {}); nothing written", candidate, current, v.reason(),
                            nowCurrent.orElse("-"), nowCandidate.orElse("-"));
                    return;
                }
                store.write(repository.pointer(ModelRepository.CURRENT), candidate + "\n");
                LOG.info("Canary: PROMOTED version {} over {}: {}. Wrote {}", candidate, current, v.reason(),
                        repository.pointer(ModelRepository.CURRENT));
            } else {
                store.write(repository.rejectedMarker(candidate), "rejected against " + current + ": " + v.reason() + "\n");
                LOG.info("Canary: REJECTED version {} (current {} stays): {}. Wrote {}", candidate, current, v.reason(),
                        repository.rejectedMarker(candidate));
            }
        } catch (AccessDeniedException e) {
            publishFailures.inc();
            LOG.error("Canary of {} against {}: decided to {} it ({}), but cannot publish the decision: {}. Grant the "
                    + "job write access to the repository's pointers (docs/model-rollout.md) or decide by hand",
                    candidate, current, verb, v.reason(), e.getMessage());
        }
    }
}
