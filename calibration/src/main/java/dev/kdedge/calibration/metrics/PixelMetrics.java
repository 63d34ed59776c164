package dev.kdedge.calibration.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pixel AUROC and PRO over many maps, from one sort of all pixels. Each pixel is kept as a float score and an int
 * label (0 normal, else the id of its connected defect region), 8 bytes a pixel: MT-256's 444 maps of 256x256 take
 * about 230 MB, and the sort keys as much again.
 *
 * <p>PRO follows the MVTec AD evaluation: per connected defect region (8-connectivity) the fraction of it above the
 * threshold, averaged over regions, integrated over the false-positive rate from 0 to {@code maxFpr} and divided by
 * {@code maxFpr}.
 */
public final class PixelMetrics {
    private final List<float[]> scores = new ArrayList<>();
    private final List<int[]> labels = new ArrayList<>();
    private final List<Integer> regionSizes = new ArrayList<>(List.of(0));
    private long pixels;

    /** Adds one map and its mask ({@code null}: all normal), both row-major of the same size. */
    public void add(float[] map, boolean[] mask) {
        int[] label = new int[map.length];
        if (mask != null) {
            if (mask.length != map.length) {
                throw new IllegalArgumentException("mask and map differ in size");
            }
            int side = (int) Math.round(Math.sqrt(map.length));
            labelRegions(mask, side, map.length / side, label);
        }
        scores.add(map.clone());
        labels.add(label);
        pixels += map.length;
    }

    public double pixelAuroc() {
        Curve c = curve(Double.POSITIVE_INFINITY);
        return c.auroc;
    }

    public double pro(double maxFpr) {
        return curve(maxFpr).pro;
    }

    private record Curve(double auroc, double pro) {}

    private Curve curve(double maxFpr) {
        if (pixels > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("too many pixels for one evaluation: " + pixels);
        }
        long[] keys = new long[(int) pixels];
        float[] flatScores = new float[(int) pixels];
        int[] flatLabels = new int[(int) pixels];
        int k = 0;
        for (int m = 0; m < scores.size(); m++) {
            System.arraycopy(scores.get(m), 0, flatScores, k, scores.get(m).length);
            System.arraycopy(labels.get(m), 0, flatLabels, k, labels.get(m).length);
            k += scores.get(m).length;
        }
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ((long) sortable(flatScores[i]) << 32) | i;
        }
        Arrays.sort(keys);
        long anomalous = Arrays.stream(flatLabels).filter(l -> l > 0).count();
        long normal = pixels - anomalous;
        int regions = regionSizes.size() - 1;
        if (anomalous == 0 || normal == 0) {
            throw new IllegalArgumentException("pixel metrics need both normal and anomalous pixels");
        }
        // Walk thresholds from high to low; each group of equal scores is one ROC point.
        double tp = 0;
        double fp = 0;
        double overlap = 0;
        double auc = 0;
        double proArea = 0;
        double prevFpr = 0;
        double prevTpr = 0;
        double prevPro = 0;
        boolean proDone = false;
        for (int end = keys.length - 1; end >= 0; ) {
            int start = end;
            float value = flatScores[(int) keys[end]];
            while (start - 1 >= 0 && flatScores[(int) keys[start - 1]] == value) {
                start--;
            }
            for (int j = start; j <= end; j++) {
                int label = flatLabels[(int) keys[j]];
                if (label > 0) {
                    tp++;
                    overlap += 1.0 / regionSizes.get(label);
                } else {
                    fp++;
                }
            }
            double fpr = fp / normal;
            double tpr = tp / anomalous;
            double pro = overlap / regions;
            auc += (fpr - prevFpr) * (tpr + prevTpr) / 2;
            if (!proDone) {
                if (fpr >= maxFpr) {
                    double t = (maxFpr - prevFpr) / (fpr - prevFpr);
                    proArea += (maxFpr - prevFpr) * (prevPro + (prevPro + t * (pro - prevPro))) / 2;
                    proDone = true;
                } else {
                    proArea += (fpr - prevFpr) * (pro + prevPro) / 2;
                }
            }
            prevFpr = fpr;
            prevTpr = tpr;
            prevPro = pro;
            end = start - 1;
        }
        return new Curve(auc, Double.isInfinite(maxFpr) ? Double.NaN : proArea / maxFpr);
    }

    /** Maps a float to an int whose signed order is the float's order. */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** Labels 8-connected regions of {@code mask} with new global region ids, recording their sizes. */
    private void labelRegions(boolean[] mask, int width, int height, int[] label) {
        int[] stack = new int[mask.length];
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || label[start] != 0) {
                continue;
            }
            int id = regionSizes.size();
            int size = 0;
            int top = 0;
            stack[top++] = start;
            label[start] = id;
            while (top > 0) {
                int p = stack[--top];
                size++;
                int px = p % width;
                int py = p / width;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int x = px + dx;
                        int y = py + dy;
                        if (x >= 0 && y >= 0 && x < width && y < height) {
                            int q = y * width + x;
                            if (mask[q] && label[q] == 0) {
                                label[q] = id;
                                stack[top++] = q;
                            }
                        }
                    }
                }
            }
            regionSizes.add(size);
        }
    }
}
