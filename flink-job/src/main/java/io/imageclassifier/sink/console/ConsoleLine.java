package io.imageclassifier.sink.console;

import io.imageclassifier.record.Prediction;
import io.imageclassifier.record.TopKEntry;
import java.util.Locale;

/** Formats a prediction as one readable console line: name, top label and score, runners-up. */
public final class ConsoleLine {
    private ConsoleLine() {}

    public static String format(Prediction p) {
        StringBuilder line = new StringBuilder()
                .append(p.bucket()).append('/').append(p.name())
                .append(String.format(Locale.ROOT, "  ->  %s (%.3f)", p.label(), p.score()));
        TopKEntry[] topK = p.topK();
        if (topK != null && topK.length > 1) {
            line.append("   next:");
            for (int i = 1; i < Math.min(topK.length, 3); i++) {
                line.append(String.format(Locale.ROOT, " %s (%.3f)%s", topK[i].label(), topK[i].score(),
                        i + 1 < Math.min(topK.length, 3) ? "," : ""));
            }
        }
        return line.toString();
    }
}
