package dev.kdedge.calibration.method.stfpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * STFPM's loss as the official code computes it: per tap, L2-normalize both feature maps along channels, sum the
 * squared differences over channels, average over batch and positions; add the taps (no factor 0.5).
 */
final class StfpmLoss extends Loss {
    private static final float NORMALIZE_EPS = 1e-12f;

    StfpmLoss() {
        super("stfpm");
    }

    @Override
    public NDArray evaluate(NDList teacher, NDList student) {
        NDArray total = null;
        for (int i = 0; i < student.size(); i++) {
            NDArray diff = normalize(teacher.get(i)).sub(normalize(student.get(i)));
            NDArray tap = diff.square().sum(new int[] {1}).mean();
            total = total == null ? tap : total.add(tap);
        }
        return total;
    }

    private static NDArray normalize(NDArray features) {
        return features.div(features.norm(new int[] {1}, true).maximum(NORMALIZE_EPS));
    }
}
