package dev.kdedge.calibration.method;

/** A per-pixel anomaly map at the model's input resolution, row-major, and the image score derived from it. */
public record AnomalyMap(int width, int height, float[] values, float score) {
    public AnomalyMap {
        if (values.length != width * height) {
            throw new IllegalArgumentException("map has " + values.length + " values for " + width + "x" + height);
        }
    }

    /**
     * This map with a don't-care region taken out: zero where {@code dontCare} (at the map's size) is true, and scored
     * by its maximum, as the served graph computes it for a method whose score is its map's maximum.
     */
    public AnomalyMap without(boolean[] dontCare) {
        if (dontCare.length != values.length) {
            throw new IllegalArgumentException("a don't-care mask of " + dontCare.length + " pixels over a map of "
                    + values.length);
        }
        float[] kept = values.clone();
        for (int i = 0; i < kept.length; i++) {
            if (dontCare[i]) {
                kept[i] = 0;
            }
        }
        return scoredByMaximum(width, height, kept);
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
