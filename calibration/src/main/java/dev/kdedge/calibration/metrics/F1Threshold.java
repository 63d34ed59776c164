package dev.kdedge.calibration.metrics;

/**
 * The threshold on image scores that maximizes F1 (defective is positive, flagged when the score is at or above the
 * threshold), as anomalib's adaptive threshold picks it. Among equally good thresholds the lowest wins, as
 * anomalib's arg-max over ascending thresholds does.
 */
public record F1Threshold(double threshold, double f1, double precision, double recall) {

    /**
     * @throws IllegalArgumentException without defective samples (F1 is then undefined) or on bad input; without
     *     normal samples every threshold has precision 1 and the lowest score is chosen
     */
    public static F1Threshold of(double[] scores, boolean[] positive) {
        ThresholdSweep sweep = ThresholdSweep.of(scores, positive);
        if (sweep.positives() == 0) {
            throw new IllegalArgumentException("an F1-optimal threshold needs defective samples (got none)");
        }
        F1Threshold best = null;
        for (int k = 0; k < sweep.steps(); k++) {
            long tp = sweep.truePositives()[k];
            long fp = sweep.falsePositives()[k];
            double f1 = 2.0 * tp / (2.0 * tp + fp + (sweep.positives() - tp));
            if (best == null || f1 >= best.f1) {
                best = new F1Threshold(sweep.thresholds()[k], f1, tp == 0 ? 0 : (double) tp / (tp + fp),
                        (double) tp / sweep.positives());
            }
        }
        return best;
    }
}
