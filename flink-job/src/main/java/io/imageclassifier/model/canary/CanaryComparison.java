package io.imageclassifier.model.canary;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.imageclassifier.classify.ClassificationResult;
import io.imageclassifier.record.ObjectRef;

/**
 * One sampled image classified by both the current and the candidate version: a row of the canary
 * output ({@code OUT/canary/}, apart from the predictions) and a vote for the {@link CanaryJudge}.
 *
 * @param agree          whether both versions gave the same top label (by name)
 * @param scoreShift     candidate top score minus current top score
 * @param candidateError why the candidate could not classify the image (then it does not agree), or null
 */
@JsonPropertyOrder({
    "bucket", "name", "generation", "current_model_name", "current_version", "current_label", "current_score",
    "candidate_model_name", "candidate_version", "candidate_label", "candidate_score", "agree", "score_shift",
    "candidate_error", "event_time"
})
public record CanaryComparison(
        @JsonProperty("bucket") String bucket,
        @JsonProperty("name") String name,
        @JsonProperty("generation") String generation,
        @JsonProperty("current_model_name") String currentModelName,
        @JsonProperty("current_version") String currentVersion,
        @JsonProperty("current_label") String currentLabel,
        @JsonProperty("current_score") double currentScore,
        @JsonProperty("candidate_model_name") String candidateModelName,
        @JsonProperty("candidate_version") String candidateVersion,
        @JsonProperty("candidate_label") String candidateLabel,
        @JsonProperty("candidate_score") double candidateScore,
        @JsonProperty("agree") boolean agree,
        @JsonProperty("score_shift") double scoreShift,
        @JsonProperty("candidate_error") String candidateError,
        @JsonProperty("event_time") long eventTimeMillis) {

    /** Both versions classified the image. */
    public static CanaryComparison of(ObjectRef ref, ClassificationResult current, ClassificationResult candidate) {
        return new CanaryComparison(ref.bucket(), ref.name(), ref.version(), current.modelName(),
                current.modelVersion(), current.label(), current.score(), candidate.modelName(),
                candidate.modelVersion(), candidate.label(), candidate.score(), current.label().equals(candidate.label()),
                candidate.score() - current.score(), null, System.currentTimeMillis());
    }

    /** The candidate failed on an image the current version classified. */
    public static CanaryComparison failed(ObjectRef ref, ClassificationResult current, String candidateModelName,
            String candidateVersion, String error) {
        return new CanaryComparison(ref.bucket(), ref.name(), ref.version(), current.modelName(),
                current.modelVersion(), current.label(), current.score(), candidateModelName, candidateVersion, null,
                0.0, false, -current.score(), error, System.currentTimeMillis());
    }

    /** What the judge tallies by: one candidate against one current version. */
    public String matchup() {
        return candidateVersion + " vs " + currentVersion;
    }
}
