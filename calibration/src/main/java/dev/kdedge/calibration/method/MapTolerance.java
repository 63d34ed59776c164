package dev.kdedge.calibration.method;

/**
 * How far a served map may be from its reference map when a fit checks it: on average over all map values, and at
 * any one value. Scores are always held to the fit's parity bound.
 */
public record MapTolerance(double mean, double max) {
    /** The same bound for both: a map that is a smooth function of the features. */
    public static MapTolerance of(double bound) {
        return new MapTolerance(bound, bound);
    }
}
