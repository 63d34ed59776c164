package dev.kdedge.calibration.method.rd4ad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * RD4AD's loss as the official code computes it (not as the paper states it): per tap, each sample's whole feature
 * map flattened to one vector, 1 - cosine similarity of teacher and student vectors, averaged over the batch; the taps
 * added. Cosine as PyTorch's: x.y / (max(|x|, eps) max(|y|, eps)), eps 1e-8.
 */
final class Rd4adLoss extends Loss {
    static final float COSINE_EPS = 1e-8f;

    Rd4adLoss() {
        super("rd4ad");
    }

    @Override
    public NDArray evaluate(NDList teacher, NDList student) {
        NDArray total = null;
        for (int i = 0; i < student.size(); i++) {
            long batch = teacher.get(i).getShape().get(0);
            NDArray t = teacher.get(i).reshape(batch, -1);
            NDArray s = student.get(i).reshape(batch, -1);
            NDArray norms = t.norm(new int[] {1}).maximum(COSINE_EPS).mul(s.norm(new int[] {1}).maximum(COSINE_EPS));
            NDArray tap = t.mul(s).sum(new int[] {1}).div(norms).neg().add(1).mean();
            total = total == null ? tap : total.add(tap);
        }
        return total;
    }
}
