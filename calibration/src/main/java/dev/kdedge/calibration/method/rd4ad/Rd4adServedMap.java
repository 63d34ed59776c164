package dev.kdedge.calibration.method.rd4ad;

import dev.kdedge.calibration.method.SampleCosine;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.tensor.Extent;
import java.util.List;

/**
 * {@link Rd4adAnomalyMap} as ONNX operators: per tap 1 - cosine similarity along channels, resized to the input with
 * aligned corners, added, blurred ({@link OnnxOps#gaussianBlur}). The image score is the map's maximum.
 */
final class Rd4adServedMap {
    private Rd4adServedMap() {}

    static ServedMap write(OnnxOps ops, List<String> teacher, List<String> student, List<Extent> tapSizes,
            Extent inputSize) {
        String sum = null;
        for (int tap = 0; tap < teacher.size(); tap++) {
            String t = teacher.get(tap);
            String s = student.get(tap);
            String dot = ops.reduceSum(ops.mul(t, s), true, 1);
            String norms = ops.mul(norm(ops, t), norm(ops, s));
            String distance = ops.subtractFrom(1f, ops.div(dot, norms));
            String up = ops.resizeBilinearAlignCorners(distance, tapSizes.get(tap), inputSize);
            sum = sum == null ? up : ops.add(sum, up);
        }
        String map = ops.gaussianBlur(sum, Rd4adAnomalyMap.BLUR, inputSize);
        return new ServedMap(map, ops.reduceMax(map, true, 1, 2, 3));
    }

    private static String norm(OnnxOps ops, String features) {
        return ops.max(ops.reduceL2(features, true, 1), SampleCosine.EPS);
    }
}
