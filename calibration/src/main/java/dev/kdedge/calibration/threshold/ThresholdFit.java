package dev.kdedge.calibration.threshold;

import java.util.Arrays;

/**
 * Fits a threshold from normal images only (what an engineer on site has): the score below which a target fraction
 * of normal parts falls, so that about {@code targetFalseRejectRate} of good parts are rejected.
 */
public final class ThresholdFit {
    private ThresholdFit() {}

    /**
     * @param normalScores image scores of held-out normal images
     * @param pixelMin lowest map value over those images
     * @param pixelMax highest map value over those images
     */
    public static ScoreCalibration atFalseRejectRate(double[] normalScores, double targetFalseRejectRate,
            double pixelMin, double pixelMax) {
        if (normalScores.length == 0) {
            throw new IllegalArgumentException("a threshold needs at least one held-out normal image");
        }
        if (!(targetFalseRejectRate >= 0 && targetFalseRejectRate < 1)) {
            throw new IllegalArgumentException("target false-reject rate must be in [0, 1), was "
                    + targetFalseRejectRate);
        }
        double[] sorted = normalScores.clone();
        Arrays.sort(sorted);
        double threshold = quantile(sorted, 1 - targetFalseRejectRate);
        // A threshold equal to the largest normal score would reject that image (scores >= threshold are anomalous).
        if (targetFalseRejectRate == 0 || threshold >= sorted[sorted.length - 1]) {
            threshold = Math.nextUp(sorted[sorted.length - 1]);
        }
        return new ScoreCalibration(threshold, sorted[0], sorted[sorted.length - 1], pixelMin, pixelMax);
    }

    /** Linear-interpolated quantile of sorted values (NumPy's default). */
    static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
