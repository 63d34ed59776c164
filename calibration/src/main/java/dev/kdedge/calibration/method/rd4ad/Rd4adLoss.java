package dev.kdedge.calibration.method.rd4ad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.method.SampleCosine;

/**
 * RD4AD's loss as the official code computes it (not as the paper states it): per tap, each sample's whole feature
 * map flattened to one vector, 1 - cosine similarity of teacher and student vectors, averaged over the batch; the taps
 * added.
 */
final class Rd4adLoss extends Loss {
    Rd4adLoss() {
        super("rd4ad");
    }

    @Override
    public NDArray evaluate(NDList teacher, NDList student) {
        NDArray total = null;
        for (int i = 0; i < student.size(); i++) {
            NDArray tap = SampleCosine.distance(teacher.get(i), student.get(i)).mean();
            total = total == null ? tap : total.add(tap);
        }
        return total;
    }
}
