package dev.kdedge.calibration.method.mkd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.method.SampleCosine;
import java.util.List;

/**
 * MKD's loss as the official code computes it: per critical layer, L_dir = 1 - cosine similarity of each sample's
 * flattened maps (averaged over the batch) and L_val = the mean squared error over all elements; total = sum of L_dir
 * + lambda x sum of L_val. Over all taps it trains the cloner; over the detection taps, on one image, it is the image's
 * anomaly score.
 */
final class MkdLoss extends Loss {
    /** The official weight of L_val on MVTec (0.01 on MNIST and CIFAR-10). */
    static final float LAMBDA = 0.5f;

    /** Which taps count, by index; null for all. */
    private final List<Integer> taps;

    /** @param taps the taps the loss adds up, by index; null for all */
    MkdLoss(List<Integer> taps) {
        super("mkd");
        this.taps = taps == null ? null : List.copyOf(taps);
    }

    @Override
    public NDArray evaluate(NDList teacher, NDList student) {
        NDArray direction = null;
        NDArray value = null;
        for (int i = 0; i < student.size(); i++) {
            if (taps != null && !taps.contains(i)) {
                continue;
            }
            NDArray cosine = SampleCosine.distance(teacher.get(i), student.get(i)).mean();
            NDArray difference = student.get(i).sub(teacher.get(i));
            NDArray squared = difference.mul(difference).mean();
            direction = direction == null ? cosine : direction.add(cosine);
            value = value == null ? squared : value.add(squared);
        }
        return direction.add(value.mul(LAMBDA));
    }
}
