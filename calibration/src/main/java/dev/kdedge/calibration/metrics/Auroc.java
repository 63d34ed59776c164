package dev.kdedge.calibration.metrics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Area under the ROC curve; tied scores count half (the Mann-Whitney statistic, as scikit-learn computes it). */
public final class Auroc {
    private Auroc() {}

    /** @throws IllegalArgumentException when either class is absent: the AUROC is then undefined */
    public static double of(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException("scores and labels differ in length");
        }
        long positives = IntStream.range(0, positive.length).filter(i -> positive[i]).count();
        long negatives = scores.length - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException("AUROC needs both normal and anomalous samples (got " + negatives
                    + " normal, " + positives + " anomalous)");
        }
        Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
        double rankSum = 0;
        for (int start = 0; start < order.length; ) {
            int end = start;
            while (end + 1 < order.length && scores[order[end + 1]] == scores[order[start]]) {
                end++;
            }
            double averageRank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) {
                if (positive[order[k]]) {
                    rankSum += averageRank;
                }
            }
            start = end + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }
}
