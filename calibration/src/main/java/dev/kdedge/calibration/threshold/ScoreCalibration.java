package dev.kdedge.calibration.threshold;

/**
 * A product's decision threshold and the score ranges that anomalib-style normalization needs. Image scores and
 * map values share one scale (the image score is the map's maximum), so one threshold serves both; the ranges differ.
 *
 * @param threshold raw score at and above which an image is anomalous
 * @param imageMin lowest image score of the calibration images
 * @param imageMax highest image score of the calibration images
 * @param pixelMin lowest map value over the calibration images
 * @param pixelMax highest map value over the calibration images
 */
public record ScoreCalibration(double threshold, double imageMin, double imageMax, double pixelMin, double pixelMax) {

    /** anomalib's normalization: clamp((x - t) / (max - min) + 0.5, 0, 1); 0.5 is the decision boundary. */
    public double normalizeImage(double raw) {
        return normalize(raw, imageMax - imageMin);
    }

    public double normalizePixel(double raw) {
        return normalize(raw, pixelMax - pixelMin);
    }

    public boolean isAnomalous(double raw) {
        return raw >= threshold;
    }

    private double normalize(double raw, double range) {
        double scale = range > 0 ? range : Math.max(Math.abs(threshold), Double.MIN_NORMAL);
        return Math.max(0, Math.min(1, (raw - threshold) / scale + 0.5));
    }
}
