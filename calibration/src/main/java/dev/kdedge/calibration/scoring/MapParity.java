package dev.kdedge.calibration.scoring;

/**
 * How far a served graph's outputs are from the method's reference on the parity images: the largest difference of
 * an image score, and the largest and the mean difference of a map value.
 */
public record MapParity(double scoreMax, double mapMax, double mapMean) {
    /** The largest difference of any output value, as manifests record it. */
    public double max() {
        return Math.max(scoreMax, mapMax);
    }

    /**
     * Whether the scores and the mean map difference are within {@code bound} and no map value is further than
     * {@code mapMaxBound} ({@link dev.kdedge.calibration.method.DistillationMethod#mapMaxDifference}).
     */
    public boolean within(double bound, double mapMaxBound) {
        return scoreMax <= bound && mapMean <= bound && mapMax <= mapMaxBound;
    }

    @Override
    public String toString() {
        return String.format("score %.3g, map %.3g at most and %.3g on average", scoreMax, mapMax, mapMean);
    }
}
