package dev.kdedge.calibration.metrics;

import java.util.Arrays;

/**
 * The two-sample Kolmogorov-Smirnov statistic: the largest distance between the empirical distribution functions of
 * two samples, 0 when they are alike, 1 when they do not overlap. It needs no bins and no assumption about the shape
 * of the scores, which differs by method and product.
 */
public final class KolmogorovSmirnov {
    private KolmogorovSmirnov() {}

    /** @throws IllegalArgumentException when a sample is empty */
    public static double statistic(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("the Kolmogorov-Smirnov statistic needs two non-empty samples");
        }
        double[] x = a.clone();
        double[] y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0;
        int j = 0;
        double largest = 0;
        while (i < x.length && j < y.length) {
            double value = Math.min(x[i], y[j]);
            // both distribution functions step past every sample equal to the value before they are compared
            while (i < x.length && x[i] == value) {
                i++;
            }
            while (j < y.length && y[j] == value) {
                j++;
            }
            largest = Math.max(largest, Math.abs((double) i / x.length - (double) j / y.length));
        }
        return largest;
    }
}
