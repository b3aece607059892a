package io.imageclassifier.model.canary;

import java.util.Locale;

/**
 * The judge's running count for one candidate against one current version (its keyed state).
 *
 * @param decided whether a verdict was reached; later comparisons are ignored
 */
public record CanaryTally(long compared, long agreed, double scoreShiftSum, boolean decided) {

    public static CanaryTally empty() {
        return new CanaryTally(0, 0, 0.0, false);
    }

    public CanaryTally add(CanaryComparison c) {
        return new CanaryTally(compared + 1, agreed + (c.agree() ? 1 : 0), scoreShiftSum + c.scoreShift(), decided);
    }

    public CanaryTally decide() {
        return new CanaryTally(compared, agreed, scoreShiftSum, true);
    }

    /** What the judge does now. */
    public enum Outcome { WAIT, PROMOTE, REJECT }

    /** An outcome and, for a decision, the sentence that explains it. */
    public record Verdict(Outcome outcome, String reason) {}

    /**
     * Promote once {@code images} comparisons agree at least {@code minAgreement} of the time;
     * reject as soon as that can no longer happen (so a bad candidate stops early).
     */
    public Verdict verdict(int images, double minAgreement) {
        long needed = (long) Math.ceil(minAgreement * images - 1e-9);
        long disagreed = compared - agreed;
        if (agreed + Math.max(0, images - compared) < needed) {
            return new Verdict(Outcome.REJECT, String.format(Locale.ROOT,
                    "%d of %d compared images disagree; at most %d of %d may (--canary-min-agreement %s)%s",
                    disagreed, compared, images - needed, images, minAgreement, shift()));
        }
        if (compared >= images) {
            return new Verdict(Outcome.PROMOTE, String.format(Locale.ROOT,
                    "%d of %d compared images agree (%.1f%%, at least %.1f%% needed)%s", agreed, compared,
                    100.0 * agreed / compared, 100.0 * minAgreement, shift()));
        }
        return new Verdict(Outcome.WAIT, null);
    }

    private String shift() {
        return compared == 0 ? "" : String.format(Locale.ROOT, "; mean top-score shift %+.4f", scoreShiftSum / compared);
    }
}
