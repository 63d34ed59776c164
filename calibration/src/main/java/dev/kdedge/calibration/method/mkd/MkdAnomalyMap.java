package dev.kdedge.calibration.method.mkd;

import dev.kdedge.calibration.image.GaussianBlur;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.SampleCosine;
import dev.kdedge.calibration.method.StudentGradient;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.Arrays;
import java.util.List;

/**
 * MKD's score and map as the official code computes them. Score: {@link MkdLoss} over the detection taps on the one
 * image. Map: the gradient of that loss with respect to the image through the cloner ({@link StudentGradient}: PyTorch
 * autograd here, guided by default), then the official post-processing: the sum of |gradient| over channels,
 * normalized per image to (x - min) / (99th percentile - min) and clipped to [0, 1], then SciPy's Gaussian filter with
 * sigma 4. A gradient that is zero everywhere (a student equal to the teacher) maps to zero, where the official code
 * would divide by zero.
 */
final class MkdAnomalyMap {
    static final int BLUR_SIGMA = 4;
    static final GaussianBlur BLUR = new GaussianBlur(BLUR_SIGMA);
    static final double PERCENTILE = 99;
    /** The smallest percentile-to-minimum range normalization divides by. */
    static final float MIN_RANGE = 1e-12f;

    private MkdAnomalyMap() {}

    static AnomalyMap compute(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize,
            StudentGradient gradient, List<Integer> detectionTaps, boolean guided) {
        FloatTensor g = gradient.of(new MkdLoss(detectionTaps), guided);
        if (g.height() != outputSize.height() || g.width() != outputSize.width()) {
            throw new IllegalArgumentException("MKD's map is at the input's size " + g.width() + "x" + g.height()
                    + ", not " + outputSize);
        }
        int plane = outputSize.area();
        float[] gray = new float[plane];
        for (int c = 0; c < g.channels(); c++) {
            for (int p = 0; p < plane; p++) {
                gray[p] += Math.abs(g.data()[c * plane + p]);
            }
        }
        float[] sorted = gray.clone();
        Arrays.sort(sorted);
        float min = sorted[0];
        double range = Math.max(percentile(sorted, PERCENTILE) - min, MIN_RANGE);
        float[] normalized = new float[plane];
        for (int p = 0; p < plane; p++) {
            normalized[p] = (float) Math.max(0, Math.min(1, (gray[p] - min) / range));
        }
        return new AnomalyMap(outputSize.width(), outputSize.height(),
                BLUR.apply(normalized, outputSize.width(), outputSize.height()),
                (float) score(teacher, student, index, detectionTaps));
    }

    /** NumPy's {@code percentile} with linear interpolation, of ascending values. */
    static double percentile(float[] sorted, double q) {
        double position = q / 100 * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /** {@link MkdLoss} over the detection taps for sample {@code index}, in double precision. */
    static double score(List<FloatTensor> teacher, List<FloatTensor> student, int index, List<Integer> detectionTaps) {
        double total = 0;
        for (int tap : detectionTaps) {
            FloatTensor t = teacher.get(tap);
            FloatTensor s = student.get(tap);
            int size = t.sampleSize();
            int base = index * size;
            double tt = 0;
            double ss = 0;
            double ts = 0;
            double squared = 0;
            for (int i = base; i < base + size; i++) {
                double a = t.data()[i];
                double b = s.data()[i];
                tt += a * a;
                ss += b * b;
                ts += a * b;
                squared += (b - a) * (b - a);
            }
            double norms = Math.max(Math.sqrt(tt), SampleCosine.EPS) * Math.max(Math.sqrt(ss), SampleCosine.EPS);
            double cosine = ts / norms;
            total += 1 - cosine + MkdLoss.LAMBDA * squared / size;
        }
        return total;
    }
}
