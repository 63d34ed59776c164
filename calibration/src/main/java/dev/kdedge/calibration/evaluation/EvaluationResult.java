package dev.kdedge.calibration.evaluation;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.metrics.F1Threshold;
import dev.kdedge.calibration.metrics.ProCurve;
import dev.kdedge.calibration.metrics.RocCurve;
import java.util.List;
import java.util.Map;

/**
 * Quality and speed of one product version on an MVTec-layout test set. A metric the test set cannot define (no
 * defective images, no masks) is null and {@code notes} says why.
 *
 * @param pro per-region overlap up to FPR 0.3, as MVTec AD and anomalib define it
 * @param proAsStfpmCode the figure the official STFPM code reports as PRO (see {@link
 *     dev.kdedge.calibration.metrics.PixelMetrics.Result#proAsStfpmCode}): only for comparing with that code
 * @param inferenceMsMedian teacher + student + anomaly map for one image at batch 1, median over the test images
 *     after warm-up (decode and resize excluded)
 * @param scores every test image's score, in test-set order
 */
public record EvaluationResult(String bundle, String precision, String data, int images, int defective, Double imageAuroc,
        Double pixelAuroc, Double pro, Double proAsStfpmCode, Map<String, Double> imageAurocPerType, F1Threshold f1Optimal,
        Confusion atThreshold, double inferenceMsMedian, RocCurve roc, ProCurve proCurve, List<ImageScore> scores,
        List<String> notes) {

    /** Counts at the bundle's threshold: defective parts are positives. */
    public record Confusion(double threshold, int truePositives, int falsePositives, int trueNegatives,
            int falseNegatives) {}

    /** @param flagged whether the bundle's threshold calls it defective */
    public record ImageScore(String image, String type, double score, boolean flagged) {
        public boolean defective() {
            return !MvtecTestSet.GOOD.equals(type);
        }
    }
}
