package dev.kdedge.calibration.metrics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Labeled scores walked from the highest threshold to the lowest, one step per distinct score: at step {@code k},
 * {@code truePositives[k]} positives and {@code falsePositives[k]} negatives score at or above {@code thresholds[k]}.
 * Equal scores are one step, so ties are never split (as scikit-learn's curves treat them).
 */
record ThresholdSweep(double[] thresholds, long[] truePositives, long[] falsePositives, long positives,
        long negatives) {

    /** @throws IllegalArgumentException on no scores, lengths that differ, or a score that is NaN or infinite */
    static ThresholdSweep of(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException(
                    "scores and labels differ in length (" + scores.length + " vs " + positive.length + ")");
        }
        if (scores.length == 0) {
            throw new IllegalArgumentException("no scores to evaluate");
        }
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is " + scores[i]);
            }
        }
        Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        double[] thresholds = new double[scores.length];
        long[] tp = new long[scores.length];
        long[] fp = new long[scores.length];
        int steps = 0;
        long positives = 0;
        long negatives = 0;
        for (int k = 0; k < order.length; k++) {
            if (positive[order[k]]) {
                positives++;
            } else {
                negatives++;
            }
            boolean lastOfGroup = k + 1 == order.length || scores[order[k + 1]] != scores[order[k]];
            if (lastOfGroup) {
                thresholds[steps] = scores[order[k]];
                tp[steps] = positives;
                fp[steps] = negatives;
                steps++;
            }
        }
        return new ThresholdSweep(Arrays.copyOf(thresholds, steps), Arrays.copyOf(tp, steps), Arrays.copyOf(fp, steps),
                positives, negatives);
    }

    int steps() {
        return thresholds.length;
    }
}
