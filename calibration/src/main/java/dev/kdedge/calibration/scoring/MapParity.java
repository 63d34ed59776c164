package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.method.MapTolerance;

/**
 * How far a served graph's outputs are from the method's reference on the parity images: the largest difference of
 * an image score, and the largest and the mean difference of a map value.
 */
public record MapParity(double scoreMax, double mapMax, double mapMean) {
    /** The largest difference of any output value, as manifests record it. */
    public double max() {
        return Math.max(scoreMax, mapMax);
    }

    /** Whether the scores are within {@code scoreBound} and the map within {@code map}'s tolerance. */
    public boolean within(double scoreBound, MapTolerance map) {
        return scoreMax <= scoreBound && mapMean <= map.mean() && mapMax <= map.max();
    }

    @Override
    public String toString() {
        return String.format("score %.3g, map %.3g at most and %.3g on average", scoreMax, mapMax, mapMean);
    }
}
