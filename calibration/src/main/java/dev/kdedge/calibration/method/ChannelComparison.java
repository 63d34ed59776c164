package dev.kdedge.calibration.method;

import dev.kdedge.calibration.tensor.FloatTensor;

/**
 * Compares a teacher's and a student's feature maps position by position along channels: the loop every method's
 * Java reference map starts from. Sums run in double precision so the reference is more exact than what it checks.
 */
public final class ChannelComparison {
    /** A measure of one position from the sums over its channels of t*t, s*s and t*s. */
    @FunctionalInterface
    public interface PositionMeasure {
        float of(double tt, double ss, double ts);
    }

    private ChannelComparison() {}

    /** The measure at every position of sample {@code index}, row-major. */
    public static float[] perPosition(FloatTensor teacher, FloatTensor student, int index, PositionMeasure measure) {
        int channels = teacher.channels();
        int positions = teacher.height() * teacher.width();
        if (student.channels() != channels || student.height() * student.width() != positions) {
            throw new IllegalArgumentException("teacher and student feature shapes differ");
        }
        int base = index * channels * positions;
        float[] t = teacher.data();
        float[] s = student.data();
        float[] out = new float[positions];
        for (int p = 0; p < positions; p++) {
            double tt = 0;
            double ss = 0;
            double ts = 0;
            for (int c = 0; c < channels; c++) {
                int i = base + c * positions + p;
                tt += t[i] * t[i];
                ss += s[i] * s[i];
                ts += t[i] * s[i];
            }
            out[p] = measure.of(tt, ss, ts);
        }
        return out;
    }
}
