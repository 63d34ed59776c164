package dev.kdedge.calibration.image;

/**
 * SciPy's {@code ndimage.gaussian_filter} on a 2-D plane, as the official RD4AD and MKD code smooth their maps: a
 * normalized Gaussian kernel of radius {@code round(4 * sigma)} applied along each axis, the border extended by
 * reflection about the edge ({@code reflect} mode: ... b a | a b ...), computed in double precision like SciPy.
 */
public final class GaussianBlur {
    private static final double TRUNCATE = 4.0;

    private final double[] kernel;
    private final int radius;

    public GaussianBlur(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("sigma must be positive, got " + sigma);
        }
        radius = (int) (TRUNCATE * sigma + 0.5);
        kernel = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            kernel[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += kernel[i + radius];
        }
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] /= sum;
        }
    }

    public int radius() {
        return radius;
    }

    /** The 1-D kernel, {@code 2 * radius + 1} taps summing to one. */
    public float[] kernel() {
        float[] weights = new float[kernel.length];
        for (int i = 0; i < kernel.length; i++) {
            weights[i] = (float) kernel[i];
        }
        return weights;
    }

    /**
     * For a row of {@code n} values padded by {@link #radius} on both sides, the source index of every padded
     * position: what a gather needs to pad the way {@link #apply} does.
     */
    public int[] paddedIndices(int n) {
        int[] indices = new int[n + 2 * radius];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = reflect(i - radius, n);
        }
        return indices;
    }

    /** The blurred copy of a row-major {@code width} x {@code height} plane. */
    public float[] apply(float[] plane, int width, int height) {
        double[] rows = new double[plane.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int k = -radius; k <= radius; k++) {
                    acc += kernel[k + radius] * plane[y * width + reflect(x + k, width)];
                }
                rows[y * width + x] = acc;
            }
        }
        float[] out = new float[plane.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int k = -radius; k <= radius; k++) {
                    acc += kernel[k + radius] * rows[reflect(y + k, height) * width + x];
                }
                out[y * width + x] = (float) acc;
            }
        }
        return out;
    }

    /** SciPy's {@code reflect}: index -1 reads 0, index n reads n - 1; repeats for borders wider than the row. */
    private static int reflect(int i, int n) {
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }
}
