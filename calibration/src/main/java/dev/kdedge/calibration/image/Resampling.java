package dev.kdedge.calibration.image;

import java.util.Arrays;

/**
 * The resizes the methods need, each matching the library the official code used: {@link #resizeImage} is Pillow's
 * bilinear {@code Image.resize} (triangle filter widened when shrinking, so it antialiases), used for input images;
 * {@link #upsample} and {@link #upsampleAlignCorners} are PyTorch's {@code F.interpolate(mode="bilinear")} with
 * {@code align_corners=False} (STFPM's maps) and {@code True} (RD4AD's).
 */
public final class Resampling {
    /** Pillow's fixed-point precision for 8-bit images: 32 bits less 8 for the value and 2 for the sign and overflow. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    /** The most values the intermediate of a resize in Pillow's pass order may hold (64 MB as floats). */
    public static final long LARGEST_INTERMEDIATE = 1L << 24;
    private Resampling() {}

    /**
     * Resizes an 8-bit plane given as floats (0..255) exactly as Pillow resizes an 8-bit image: each pass weighs with
     * fixed-point coefficients of {@value #PRECISION_BITS} bits and rounds its result to 8 bits. Pillow's order, the
     * horizontal pass first, holds an intermediate of {@code outWidth x height}; for an image far taller than wide (1
     * x 12,000,000 pixels: 12 GB at 256 px) that is far more than the input, so there the vertical pass goes first
     * ({@link #horizontalFirst}), and the intermediate holds at most as many values as the larger of the input, the
     * output and {@value #LARGEST_INTERMEDIATE}.
     */
    public static float[] resizeImage(float[] plane, int width, int height, int outWidth, int outHeight) {
        if (horizontalFirst(width, height, outWidth, outHeight)) {
            return resample1d(resample1d(plane, width, height, outWidth, true), outWidth, height, outHeight, false);
        }
        return resample1d(resample1d(plane, width, height, outHeight, false), width, outHeight, outWidth, true);
    }

    /**
     * Whether {@link #resizeImage} runs Pillow's order, the horizontal pass first: unless its intermediate would
     * outgrow the input, the output and {@value #LARGEST_INTERMEDIATE} values, which no camera's frame comes near (the
     * order changes a value by a level here and there). The served graph's frame input decides the same way.
     */
    public static boolean horizontalFirst(long width, long height, long outWidth, long outHeight) {
        return outWidth * height <= Math.max(Math.max(width * height, outWidth * outHeight), LARGEST_INTERMEDIATE);
    }

    /** Bilinear upsampling (or downsampling without antialias) with half-pixel centers and clamped borders. */
    public static float[] upsample(float[] map, int width, int height, int outWidth, int outHeight) {
        float[] out = new float[outWidth * outHeight];
        float sy = (float) height / outHeight;
        float sx = (float) width / outWidth;
        int[] x0 = new int[outWidth];
        int[] x1 = new int[outWidth];
        float[] lx = new float[outWidth];
        for (int x = 0; x < outWidth; x++) {
            float src = Math.max((x + 0.5f) * sx - 0.5f, 0f);
            x0[x] = Math.min((int) src, width - 1);
            x1[x] = Math.min(x0[x] + 1, width - 1);
            lx[x] = src - x0[x];
        }
        for (int y = 0; y < outHeight; y++) {
            float src = Math.max((y + 0.5f) * sy - 0.5f, 0f);
            int y0 = Math.min((int) src, height - 1);
            int y1 = Math.min(y0 + 1, height - 1);
            float ly = src - y0;
            int r0 = y0 * width;
            int r1 = y1 * width;
            for (int x = 0; x < outWidth; x++) {
                float top = map[r0 + x0[x]] * (1 - lx[x]) + map[r0 + x1[x]] * lx[x];
                float bottom = map[r1 + x0[x]] * (1 - lx[x]) + map[r1 + x1[x]] * lx[x];
                out[y * outWidth + x] = top * (1 - ly) + bottom * ly;
            }
        }
        return out;
    }

    /** Bilinear resampling that maps the corner pixels' centers onto each other (no clamping needed). */
    public static float[] upsampleAlignCorners(float[] map, int width, int height, int outWidth, int outHeight) {
        float[] out = new float[outWidth * outHeight];
        double sy = outHeight > 1 ? (double) (height - 1) / (outHeight - 1) : 0;
        double sx = outWidth > 1 ? (double) (width - 1) / (outWidth - 1) : 0;
        for (int y = 0; y < outHeight; y++) {
            double srcY = y * sy;
            int y0 = Math.min((int) srcY, height - 1);
            int y1 = Math.min(y0 + 1, height - 1);
            double ly = srcY - y0;
            for (int x = 0; x < outWidth; x++) {
                double srcX = x * sx;
                int x0 = Math.min((int) srcX, width - 1);
                int x1 = Math.min(x0 + 1, width - 1);
                double lx = srcX - x0;
                double top = map[y0 * width + x0] * (1 - lx) + map[y0 * width + x1] * lx;
                double bottom = map[y1 * width + x0] * (1 - lx) + map[y1 * width + x1] * lx;
                out[y * outWidth + x] = (float) (top * (1 - ly) + bottom * ly);
            }
        }
        return out;
    }

    /**
     * One separable pass of Pillow's resampling of 8-bit images with the bilinear (triangle) filter: the filter's
     * weights in double, normalized, then as integers of {@value #PRECISION_BITS} fractional bits; each output the
     * rounded, clipped sum. The vertical pass adds whole weighted input rows into each output row, so both passes read
     * memory in order.
     */
    private static float[] resample1d(float[] in, int width, int height, int outSize, boolean horizontal) {
        int inSize = horizontal ? width : height;
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale;
        int[] start = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), inSize);
            double[] w = new double[max - min];
            double sum = 0;
            for (int i = 0; i < w.length; i++) {
                double t = Math.abs((i + min - center + 0.5) / filterScale);
                w[i] = t < 1 ? 1 - t : 0;
                sum += w[i];
            }
            weights[o] = new int[w.length];
            for (int i = 0; i < w.length; i++) {
                // the triangle's weights are never negative: Pillow rounds them half up
                weights[o][i] = (int) (0.5 + (sum == 0 ? 0 : w[i] / sum) * (1 << PRECISION_BITS));
            }
            start[o] = min;
        }
        if (horizontal) {
            float[] out = new float[outSize * height];
            for (int y = 0; y < height; y++) {
                int row = y * width;
                for (int o = 0; o < outSize; o++) {
                    int[] w = weights[o];
                    int src = row + start[o];
                    // at most 255 times weights summing to about 2^22: Pillow's 32-bit sums hold it
                    int acc = HALF;
                    for (int i = 0; i < w.length; i++) {
                        acc += w[i] * (int) in[src + i];
                    }
                    out[y * outSize + o] = clip8(acc);
                }
            }
            return out;
        }
        int[] sums = new int[width];
        float[] out = new float[width * outSize];
        for (int o = 0; o < outSize; o++) {
            int[] w = weights[o];
            Arrays.fill(sums, HALF);
            for (int i = 0; i < w.length; i++) {
                int wi = w[i];
                int src = (start[o] + i) * width;
                for (int x = 0; x < width; x++) {
                    sums[x] += wi * (int) in[src + x];
                }
            }
            int dst = o * width;
            for (int x = 0; x < width; x++) {
                out[dst + x] = clip8(sums[x]);
            }
        }
        return out;
    }

    private static float clip8(int fixedPoint) {
        return Math.max(0, Math.min(255, fixedPoint >> PRECISION_BITS));
    }
}
