package dev.kdedge.calibration.method;

import ai.djl.ndarray.NDArray;

/**
 * 1 - cosine similarity of each sample's whole feature map flattened to one vector, as RD4AD's and MKD's official
 * losses compare teacher and student. Cosine as PyTorch's: x.y / (max(|x|, eps) max(|y|, eps)), eps 1e-8.
 */
public final class SampleCosine {
    public static final float EPS = 1e-8f;

    private SampleCosine() {}

    /** One distance per sample, [N], from teacher and student maps of one tap ([N, C, H, W]). */
    public static NDArray distance(NDArray teacher, NDArray student) {
        long batch = teacher.getShape().get(0);
        NDArray t = teacher.reshape(batch, -1);
        NDArray s = student.reshape(batch, -1);
        NDArray norms = t.norm(new int[] {1}).maximum(EPS).mul(s.norm(new int[] {1}).maximum(EPS));
        return t.mul(s).sum(new int[] {1}).div(norms).neg().add(1);
    }
}
