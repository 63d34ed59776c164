package dev.kdedge.calibration.evaluation;

import java.util.Map;

/**
 * Quality and speed of one product version on an MVTec-layout test set. Pixel metrics are null when no masks exist.
 *
 * @param inferenceMsMedian teacher + student + anomaly map for one image at batch 1, median over the test images
 *     after warm-up (decode and resize excluded)
 */
public record EvaluationResult(String bundle, int images, int defective, double imageAuroc, Double pixelAuroc,
        Double pro, Map<String, Double> imageAurocPerType, Confusion atThreshold, double inferenceMsMedian) {

    /** Counts at the bundle's threshold: defective parts are positives. */
    public record Confusion(double threshold, int truePositives, int falsePositives, int trueNegatives,
            int falseNegatives) {}
}
