package dev.kdedge.calibration.method.stfpm;

import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.ChannelComparison;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * STFPM's anomaly map as the official code computes it: per tap the squared distance of the channel-normalized
 * features at each position; each upsampled to the first tap's resolution (bilinear, align_corners=false); the taps
 * multiplied; the product resized to the input size. No blur. Image score: the map's maximum.
 */
final class StfpmAnomalyMap {
    static final float NORMALIZE_EPS = 1e-12f;

    private StfpmAnomalyMap() {}

    static AnomalyMap compute(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize) {
        int width = teacher.get(0).width();
        int height = teacher.get(0).height();
        float[] product = null;
        for (int tap = 0; tap < teacher.size(); tap++) {
            FloatTensor t = teacher.get(tap);
            float[] distance = normalizedSquaredDistance(t, student.get(tap), index);
            float[] up = t.height() == height && t.width() == width ? distance
                    : Resampling.upsample(distance, t.width(), t.height(), width, height);
            if (product == null) {
                product = up;
            } else {
                for (int i = 0; i < product.length; i++) {
                    product[i] *= up[i];
                }
            }
        }
        return AnomalyMap.scoredByMaximum(outputSize.width(), outputSize.height(),
                Resampling.upsample(product, width, height, outputSize.width(), outputSize.height()));
    }

    /** Per position: sum over channels of (t/|t| - s/|s|)^2, with PyTorch's F.normalize epsilon. */
    static float[] normalizedSquaredDistance(FloatTensor teacher, FloatTensor student, int index) {
        return ChannelComparison.perPosition(teacher, student, index, (tt, ss, ts) -> {
            double tn = Math.max(Math.sqrt(tt), NORMALIZE_EPS);
            double sn = Math.max(Math.sqrt(ss), NORMALIZE_EPS);
            return (float) (tt / (tn * tn) + ss / (sn * sn) - 2 * ts / (tn * sn));
        });
    }
}
