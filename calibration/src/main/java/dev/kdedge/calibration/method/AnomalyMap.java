package dev.kdedge.calibration.method;

/** A per-pixel anomaly map at the model's input resolution, row-major, and the image score derived from it. */
public record AnomalyMap(int width, int height, float[] values, float score) {
    public AnomalyMap {
        if (values.length != width * height) {
            throw new IllegalArgumentException("map has " + values.length + " values for " + width + "x" + height);
        }
    }

    /** A map whose image score is its largest value, as every method's official evaluation scores images. */
    public static AnomalyMap scoredByMaximum(int width, int height, float[] values) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            max = Math.max(max, v);
        }
        return new AnomalyMap(width, height, values, max);
    }
}
