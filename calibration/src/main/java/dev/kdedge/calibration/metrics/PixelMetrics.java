package dev.kdedge.calibration.metrics;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Pixel AUROC and PRO over any number of maps in bounded memory.
 *
 * <p>Memory stays at three arrays of {@link #BINS} entries (24 MB) whatever the number of maps: {@link #add} spills
 * each map to a temporary file (4 bytes a pixel, 8 where the image has a mask) and tracks the score range; {@link
 * #compute} then reads the file once into histograms over that range (normal pixels, defect pixels, and each defect
 * pixel's share of its region) and walks them from the top bin down. Pixels in one bin count as tied: with 2^20
 * bins the AUROC moves by at most the share of normal/defect pixel pairs that fall in one bin, far below the
 * fourth decimal (the cross-check test against scikit-learn holds it to 1e-6).
 *
 * <p>PRO follows the MVTec AD evaluation: per connected defect region (8-connectivity, per image) the fraction of it
 * at or above the threshold, averaged over all regions, integrated over the false-positive rate from 0 to
 * {@code maxFpr} and divided by {@code maxFpr}. The official STFPM code computes a different figure under the same
 * name; {@link Result#proAsStfpmCode} reproduces it so that numbers from that code can be compared.
 */
public final class PixelMetrics implements AutoCloseable {
    public static final int BINS = 1 << 20;
    private static final int PRO_CURVE_POINTS = 300;
    private static final int STFPM_CODE_THRESHOLDS = 4000;

    private final Path spill;
    private final DataOutputStream out;
    private long normalPixels;
    private long defectPixels;
    private long regions;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;

    /**
     * @param pixelAuroc over all pixels of all maps
     * @param pro normalized area under the PRO curve up to the false-positive rate limit
     * @param proCurve the curve, at most about 300 points
     * @param proAsStfpmCode the official STFPM code's "PRO": its curve at 4000 evenly spaced thresholds, cut at the
     *     false-positive rate limit, with the false-positive rates and the overlaps each min-max rescaled to [0, 1]
     *     before the area is taken. Rescaling the overlaps divides by the overlap reached at the limit, so it is
     *     higher than {@code pro} and only comparable with numbers from that code; NaN when the curve has fewer
     *     than two points below the limit or a constant overlap.
     */
    public record Result(double pixelAuroc, double pro, ProCurve proCurve, double proAsStfpmCode) {}

    public PixelMetrics(Path spillDirectory) throws IOException {
        spill = Files.createTempFile(spillDirectory, "kdedge-pixel-metrics-", ".bin");
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(spill), 1 << 20));
    }

    /** Adds one map and its mask ({@code null}: all normal), both row-major, {@code width} pixels a row. */
    public void add(float[] map, boolean[] mask, int width) throws IOException {
        add(map, mask, null, width);
    }

    /**
     * As {@link #add(float[], boolean[], int)}, leaving out the pixels {@code leftOut} marks (a product's don't-care
     * region; null: none): they count neither as normal nor as defect, and a defect region is what remains of it.
     */
    public void add(float[] map, boolean[] mask, boolean[] leftOut, int width) throws IOException {
        if (width <= 0 || map.length % width != 0) {
            throw new IllegalArgumentException("a map of " + map.length + " values is not " + width + " wide");
        }
        if (mask != null && mask.length != map.length) {
            throw new IllegalArgumentException("mask has " + mask.length + " pixels, map " + map.length);
        }
        if (leftOut != null && leftOut.length != map.length) {
            throw new IllegalArgumentException("the left-out region has " + leftOut.length + " pixels, map "
                    + map.length);
        }
        int counted = 0;
        boolean[] defects = mask == null ? null : new boolean[map.length];
        for (int i = 0; i < map.length; i++) {
            if (!Float.isFinite(map[i])) {
                throw new IllegalArgumentException("map value " + i + " is " + map[i]);
            }
            if (leftOut == null || !leftOut[i]) {
                counted++;
                min = Math.min(min, map[i]);
                max = Math.max(max, map[i]);
                if (defects != null) {
                    defects[i] = mask[i];
                }
            }
        }
        float[] regionShare = defects == null ? null : regionShares(defects, width, map.length / width);
        normalPixels += counted - (regionShare == null ? 0 : countTrue(defects));
        out.writeInt(counted);
        out.writeBoolean(regionShare != null);
        for (int i = 0; i < map.length; i++) {
            if (leftOut == null || !leftOut[i]) {
                out.writeFloat(map[i]);
            }
        }
        if (regionShare != null) {
            for (int i = 0; i < map.length; i++) {
                if (leftOut == null || !leftOut[i]) {
                    out.writeFloat(regionShare[i]);
                }
            }
        }
    }

    /** Whether some mask marked a defect pixel: without one, pixel metrics are undefined. */
    public boolean hasDefectPixels() {
        return defectPixels > 0;
    }

    /** @throws IllegalArgumentException unless the maps hold both normal and defect pixels */
    public Result compute(double maxFpr) throws IOException {
        if (!(maxFpr > 0 && maxFpr <= 1)) {
            throw new IllegalArgumentException("the PRO false-positive rate limit must be in (0, 1], was " + maxFpr);
        }
        out.flush();
        if (defectPixels == 0 || normalPixels == 0) {
            throw new IllegalArgumentException("pixel metrics need both normal and defect pixels (got " + normalPixels
                    + " normal, " + defectPixels + " defect)");
        }
        long[] normal = new long[BINS];
        long[] defect = new long[BINS];
        double[] overlap = new double[BINS];
        double scale = max > min ? (BINS - 1) / ((double) max - min) : 0;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spill), 1 << 20))) {
            for (long read = 0; read < normalPixels + defectPixels; ) {
                int length = in.readInt();
                boolean masked = in.readBoolean();
                int[] bins = new int[length];
                for (int i = 0; i < length; i++) {
                    bins[i] = (int) ((in.readFloat() - min) * scale);
                }
                for (int i = 0; i < length; i++) {
                    float share = masked ? in.readFloat() : 0;
                    if (share > 0) {
                        defect[bins[i]]++;
                        overlap[bins[i]] += share;
                    } else {
                        normal[bins[i]]++;
                    }
                }
                read += length;
            }
        }
        return walk(normal, defect, overlap, maxFpr, proAsStfpmCode(normal, overlap, maxFpr));
    }

    /** From the highest bin down, each non-empty bin is one ROC point and one PRO point. */
    private Result walk(long[] normal, long[] defect, double[] overlap, double maxFpr, double proAsStfpmCode) {
        double tp = 0;
        double fp = 0;
        double covered = 0;
        double auc = 0;
        double proArea = 0;
        double prevFpr = 0;
        double prevTpr = 0;
        double prevPro = 0;
        boolean proDone = false;
        double[] curveFpr = new double[PRO_CURVE_POINTS + 2];
        double[] curvePro = new double[PRO_CURVE_POINTS + 2];
        int points = 1;
        for (int bin = BINS - 1; bin >= 0; bin--) {
            if (normal[bin] == 0 && defect[bin] == 0) {
                continue;
            }
            tp += defect[bin];
            fp += normal[bin];
            covered += overlap[bin];
            double fpr = fp / normalPixels;
            double tpr = tp / defectPixels;
            double pro = covered / regions;
            auc += (fpr - prevFpr) * (tpr + prevTpr) / 2;
            if (!proDone) {
                if (fpr >= maxFpr) {
                    double atLimit = prevPro + (maxFpr - prevFpr) / (fpr - prevFpr) * (pro - prevPro);
                    proArea += (maxFpr - prevFpr) * (prevPro + atLimit) / 2;
                    curveFpr[points] = maxFpr;
                    curvePro[points++] = atLimit;
                    proDone = true;
                } else {
                    proArea += (fpr - prevFpr) * (pro + prevPro) / 2;
                    if (fpr - curveFpr[points - 1] >= maxFpr / PRO_CURVE_POINTS) {
                        curveFpr[points] = fpr;
                        curvePro[points++] = pro;
                    }
                }
            }
            prevFpr = fpr;
            prevTpr = tpr;
            prevPro = pro;
        }
        return new Result(auc, proArea / maxFpr,
                new ProCurve(Arrays.copyOf(curveFpr, points), Arrays.copyOf(curvePro, points)), proAsStfpmCode);
    }

    /**
     * Threshold k of the official code is {@code max - k (max - min) / 4000}, k = 0..3999, and a pixel counts when
     * strictly above it: here, when its bin lies wholly above the threshold's bin.
     */
    private double proAsStfpmCode(long[] normal, double[] overlap, double maxFpr) {
        double[] fprs = new double[STFPM_CODE_THRESHOLDS];
        double[] overlaps = new double[STFPM_CODE_THRESHOLDS];
        int kept = 0;
        double fp = 0;
        double covered = 0;
        int bin = BINS;
        for (int k = 0; k < STFPM_CODE_THRESHOLDS; k++) {
            int cut = (int) Math.floor((BINS - 1) * (1 - (double) k / STFPM_CODE_THRESHOLDS)) + 1;
            while (bin > cut) {
                bin--;
                fp += normal[bin];
                covered += overlap[bin];
            }
            double fpr = fp / normalPixels;
            if (fpr > maxFpr) {
                break;
            }
            fprs[kept] = fpr;
            overlaps[kept++] = covered / regions;
        }
        if (kept < 2) {
            return Double.NaN;
        }
        double fprMin = fprs[0];
        double fprRange = fprs[kept - 1] - fprMin;
        double overlapMin = Arrays.stream(overlaps, 0, kept).min().orElseThrow();
        double overlapRange = Arrays.stream(overlaps, 0, kept).max().orElseThrow() - overlapMin;
        if (fprRange == 0 || overlapRange == 0) {
            return Double.NaN;
        }
        double area = 0;
        for (int i = 1; i < kept; i++) {
            area += (fprs[i] - fprs[i - 1]) / fprRange
                    * ((overlaps[i] - overlapMin) + (overlaps[i - 1] - overlapMin)) / overlapRange / 2;
        }
        return area;
    }

    /**
     * Labels the 8-connected regions of {@code mask} and gives each defect pixel 1 / (its region's size), so that
     * a region's pixels above a threshold sum to the fraction of the region covered. Counts pixels and regions.
     *
     * @return null when the mask marks no pixel
     */
    private float[] regionShares(boolean[] mask, int width, int height) {
        float[] share = new float[mask.length];
        int[] region = new int[mask.length];
        int[] stack = new int[mask.length];
        int[] members = new int[mask.length];
        int id = 0;
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || region[start] != 0) {
                continue;
            }
            id++;
            int size = 0;
            int top = 0;
            stack[top++] = start;
            region[start] = id;
            while (top > 0) {
                int p = stack[--top];
                members[size++] = p;
                int px = p % width;
                int py = p / width;
                for (int y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1); y++) {
                    for (int x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++) {
                        int q = y * width + x;
                        if (mask[q] && region[q] == 0) {
                            region[q] = id;
                            stack[top++] = q;
                        }
                    }
                }
            }
            for (int m = 0; m < size; m++) {
                share[members[m]] = 1f / size;
            }
            defectPixels += size;
        }
        if (id == 0) {
            return null;
        }
        regions += id;
        return share;
    }

    private static int countTrue(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            if (b) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            Files.deleteIfExists(spill);
        }
    }
}
