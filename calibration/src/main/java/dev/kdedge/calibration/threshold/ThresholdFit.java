package dev.kdedge.calibration.threshold;

import java.util.Arrays;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Fits a threshold from normal images only (what an engineer on site has): the score below which a target fraction
 * of normal parts falls, so that about {@code targetFalseRejectRate} of good parts are rejected.
 *
 * <p>With n held-out normals the empirical quantile cannot resolve a rate below 1/n: it lies between the two largest
 * scores, and a new good part scores above the largest of n others with probability 1/(n+1) (8% for a 20% hold-out
 * of 60 images, against a 0.5% target). So when {@code n * rate < 1} the quantile is extrapolated from a log-normal
 * fit of the scores (anomaly scores are positive and skewed to the right), and never set at or below the largest
 * score; scores that are not all positive have no log-normal fit and get the threshold just above the largest.
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
        double largest = sorted[sorted.length - 1];
        // Scores at or above the threshold are anomalous: just above the largest score, no held-out normal is.
        double aboveAll = Math.nextUp(largest);
        double threshold;
        if (targetFalseRejectRate == 0) {
            threshold = aboveAll;
        } else if (sorted.length * targetFalseRejectRate < 1) {
            threshold = sorted[0] > 0
                    ? Math.max(aboveAll, logNormalQuantile(sorted, 1 - targetFalseRejectRate)) : aboveAll;
        } else {
            threshold = Math.min(quantile(sorted, 1 - targetFalseRejectRate), aboveAll);
        }
        return new ScoreCalibration(threshold, sorted[0], largest, pixelMin, pixelMax);
    }

    /**
     * The highest threshold at or above which at least {@code share} of the defects' scores lie.
     *
     * @throws IllegalArgumentException without defect scores
     */
    public static double atRecall(double[] defectScores, double share) {
        if (defectScores.length == 0) {
            throw new IllegalArgumentException("a synthetic recall target needs held-out normals to paint the "
                    + "synthetic defects on (a hold-out fraction above 0)");
        }
        double[] sorted = defectScores.clone();
        Arrays.sort(sorted);
        int caught = (int) Math.ceil(share * sorted.length - 1e-9);
        return sorted[sorted.length - Math.max(1, caught)];
    }

    /** The q-quantile of the log-normal distribution with the mean and standard deviation of the scores' logs. */
    static double logNormalQuantile(double[] positiveScores, double q) {
        double mean = Arrays.stream(positiveScores).map(Math::log).average().orElseThrow();
        double squares = Arrays.stream(positiveScores).map(s -> (Math.log(s) - mean) * (Math.log(s) - mean)).sum();
        double sd = positiveScores.length > 1 ? Math.sqrt(squares / (positiveScores.length - 1)) : 0;
        return Math.exp(mean + sd * NormalDistribution.of(0, 1).inverseCumulativeProbability(q));
    }

    /** Linear-interpolated quantile of sorted values (NumPy's default). */
    static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
