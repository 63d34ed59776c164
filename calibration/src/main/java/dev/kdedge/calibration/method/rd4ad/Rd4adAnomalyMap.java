package dev.kdedge.calibration.method.rd4ad;

import dev.kdedge.calibration.image.GaussianBlur;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.ChannelComparison;
import dev.kdedge.calibration.method.SampleCosine;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * RD4AD's anomaly map as the official evaluation computes it: per tap, 1 - cosine similarity of teacher and student
 * features along channels at each position; each upsampled to the input size (bilinear, align_corners=true); the taps
 * added; SciPy's Gaussian filter with sigma 4 (33 taps, reflect border). Image score: the map's maximum.
 */
final class Rd4adAnomalyMap {
    static final int BLUR_SIGMA = 4;
    static final GaussianBlur BLUR = new GaussianBlur(BLUR_SIGMA);

    private Rd4adAnomalyMap() {}

    static AnomalyMap compute(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize) {
        int width = outputSize.width();
        int height = outputSize.height();
        float[] sum = new float[width * height];
        for (int tap = 0; tap < teacher.size(); tap++) {
            FloatTensor t = teacher.get(tap);
            float[] distance = cosineDistance(t, student.get(tap), index);
            float[] up = Resampling.upsampleAlignCorners(distance, t.width(), t.height(), width, height);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += up[i];
            }
        }
        return AnomalyMap.scoredByMaximum(width, height, BLUR.apply(sum, width, height));
    }

    /** Per position: 1 - t.s / (max(|t|, eps) max(|s|, eps)) along channels, PyTorch's cosine similarity. */
    static float[] cosineDistance(FloatTensor teacher, FloatTensor student, int index) {
        return ChannelComparison.perPosition(teacher, student, index, (tt, ss, ts) -> (float) (1 - ts
                / (Math.max(Math.sqrt(tt), SampleCosine.EPS) * Math.max(Math.sqrt(ss), SampleCosine.EPS))));
    }
}
