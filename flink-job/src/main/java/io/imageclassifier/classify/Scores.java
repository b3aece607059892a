package io.imageclassifier.classify;

import io.imageclassifier.record.TopKEntry;

/** Softmax and top-k over one row of model output. */
final class Scores {

    private Scores() {}

    /** Numerically stable softmax of {@code logits[from, from + n)} into {@code out[0, n)}. */
    static void softmax(float[] logits, int from, int n, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(logits[from + i] - max);
            out[i] = e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            out[i] /= sum;
        }
    }

    /** Copies {@code values[from, from + n)} into {@code out[0, n)}. */
    static void copy(float[] values, int from, int n, double[] out) {
        for (int i = 0; i < n; i++) {
            out[i] = values[from + i];
        }
    }

    /**
     * The indices of the {@code k} largest of {@code p[0, n)}, best first; ties go to the lower
     * index. O(n * k), which beats sorting for the small k used here.
     */
    static int[] topK(double[] p, int n, int k) {
        k = Math.min(k, n);
        int[] best = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            double v = p[i];
            if (size == k && v <= p[best[k - 1]]) {
                continue;
            }
            int j = size == k ? k - 1 : size++;
            while (j > 0 && p[best[j - 1]] < v) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        return best;
    }

    static TopKEntry[] entries(int[] indices, double[] p, Labels labels) {
        TopKEntry[] out = new TopKEntry[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = new TopKEntry(labels.get(indices[i]), indices[i], p[indices[i]]);
        }
        return out;
    }
}
