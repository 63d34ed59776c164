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
 */
public record ScoreCalibration(double threshold, double imageMin, double imageMax, double pixelMin, double pixelMax,
        Double pixelThreshold) {

    /** A calibration whose maps share the image score's scale. */
    public ScoreCalibration(double threshold, double imageMin, double imageMax, double pixelMin, double pixelMax) {
        this(threshold, imageMin, imageMax, pixelMin, pixelMax, null);
    }

    /** The same normalization ranges around another threshold. */
    public ScoreCalibration withThreshold(double other) {
        return new ScoreCalibration(other, imageMin, imageMax, pixelMin, pixelMax);
    }

    public ScoreCalibration withPixelThreshold(double boundary) {
        return new ScoreCalibration(threshold, imageMin, imageMax, pixelMin, pixelMax, boundary);
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

    private static double normalize(double raw, double boundary, double range) {
        double scale = range > 0 ? range : Math.max(Math.abs(boundary), Double.MIN_NORMAL);
        return Math.max(0, Math.min(1, (raw - boundary) / scale + 0.5));
    }
}
