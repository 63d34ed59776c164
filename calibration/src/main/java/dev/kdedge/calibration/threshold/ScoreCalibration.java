package dev.kdedge.calibration.threshold;

/**
 * A product's decision threshold and the score ranges that anomalib-style normalization needs. For most methods image
 * scores and map values share one scale (the image score is the map's maximum), so one threshold serves both and only
 * the ranges differ; a method whose maps have a scale of their own (MKD's, normalized per image) sets the map's
 * boundary apart.
 *
 * @param threshold raw score at and above which an image is anomalous
 * @param imageMin lowest image score of the calibration images
 * @param imageMax highest image score of the calibration images
 * @param pixelMin lowest map value over the calibration images
 * @param pixelMax highest map value over the calibration images
 * @param pixelThreshold the map value shown as the decision boundary; null when it is {@code threshold}
 * @param reviewFrom the lower edge of the review band: a raw score at or above it and below {@code threshold} is
 *     neither accepted nor rejected but sent to a person; null without a review band
 */
public record ScoreCalibration(double threshold, double imageMin, double imageMax, double pixelMin, double pixelMax,
        Double pixelThreshold, Double reviewFrom) {

    public ScoreCalibration {
        if (reviewFrom != null && !(reviewFrom <= threshold)) {
            throw new IllegalArgumentException("the review band's lower edge " + reviewFrom
                    + " lies above the threshold " + threshold);
        }
    }

    /** A calibration whose maps share the image score's scale, without a review band. */
    public ScoreCalibration(double threshold, double imageMin, double imageMax, double pixelMin, double pixelMax) {
        this(threshold, imageMin, imageMax, pixelMin, pixelMax, null, null);
    }

    /** The same normalization ranges around another threshold, without a review band. */
    public ScoreCalibration withThreshold(double other) {
        return new ScoreCalibration(other, imageMin, imageMax, pixelMin, pixelMax, pixelThreshold, null);
    }

    public ScoreCalibration withPixelThreshold(double boundary) {
        return new ScoreCalibration(threshold, imageMin, imageMax, pixelMin, pixelMax, boundary, reviewFrom);
    }

    /** Scores from {@code lowerEdge} up to the threshold go to review (none where it is at the threshold). */
    public ScoreCalibration withReviewFrom(double lowerEdge) {
        return new ScoreCalibration(threshold, imageMin, imageMax, pixelMin, pixelMax, pixelThreshold, lowerEdge);
    }

    /** anomalib's normalization: clamp((x - t) / (max - min) + 0.5, 0, 1); 0.5 is the decision boundary. */
    public double normalizeImage(double raw) {
        return normalize(raw, threshold, imageMax - imageMin);
    }

    public double normalizePixel(double raw) {
        return normalize(raw, pixelThreshold != null ? pixelThreshold : threshold, pixelMax - pixelMin);
    }

    public boolean isAnomalous(double raw) {
        return raw >= threshold;
    }

    /** Below the threshold but not low enough to accept: a person decides. */
    public boolean inReviewBand(double raw) {
        return reviewFrom != null && raw >= reviewFrom && raw < threshold;
    }

    private static double normalize(double raw, double boundary, double range) {
        double scale = range > 0 ? range : Math.max(Math.abs(boundary), Double.MIN_NORMAL);
        return Math.max(0, Math.min(1, (raw - boundary) / scale + 0.5));
    }
}
