package dev.kdedge.calibration.method.rd4ad;

import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.network.OnnxOps;
import java.util.List;

/**
 * {@link Rd4adAnomalyMap} as ONNX operators: per tap 1 - cosine similarity along channels, resized to the input with
 * aligned corners, added. The Gaussian blur runs as two one-dimensional 33-tap convolutions (the kernel is separable:
 * 66 multiply-adds a pixel instead of 1,089), each after a gather that pads the border by reflection as SciPy does
 * (ONNX's Pad "reflect" leaves out the edge pixel, SciPy's includes it). The image score is the map's maximum.
 */
final class Rd4adServedMap {
    private Rd4adServedMap() {}

    static ServedMap write(OnnxOps ops, List<String> teacher, List<String> student, List<Integer> tapSides,
            int inputSize) {
        String sum = null;
        for (int tap = 0; tap < teacher.size(); tap++) {
            String t = teacher.get(tap);
            String s = student.get(tap);
            String dot = ops.reduceSum(ops.mul(t, s), true, 1);
            String norms = ops.mul(norm(ops, t), norm(ops, s));
            String distance = ops.subtractFrom(1f, ops.div(dot, norms));
            String up = ops.resizeBilinearAlignCorners(distance, (float) inputSize / tapSides.get(tap));
            sum = sum == null ? up : ops.add(sum, up);
        }
        float[] kernel = Rd4adAnomalyMap.BLUR.kernel();
        int[] padded = Rd4adAnomalyMap.BLUR.paddedIndices(inputSize);
        String rows = ops.convolve(ops.gather(sum, 3, padded), kernel, 1, kernel.length);
        String map = ops.convolve(ops.gather(rows, 2, padded), kernel, kernel.length, 1);
        return new ServedMap(map, ops.reduceMax(map, true, 1, 2, 3));
    }

    private static String norm(OnnxOps ops, String features) {
        return ops.max(ops.reduceL2(features, true, 1), Rd4adLoss.COSINE_EPS);
    }
}
