package dev.kdedge.calibration.method.stfpm;

import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.tensor.Extent;
import java.util.List;

/**
 * {@link StfpmAnomalyMap} as ONNX operators: per tap the squared distance of the channel-normalized features, each
 * upsampled to the first tap's side, multiplied, resized to the input; the image score is the map's maximum.
 */
final class StfpmServedMap {
    private StfpmServedMap() {}

    static ServedMap write(OnnxOps ops, List<String> teacher, List<String> student, List<Extent> tapSizes,
            Extent inputSize) {
        Extent first = tapSizes.get(0);
        String product = null;
        for (int tap = 0; tap < teacher.size(); tap++) {
            String difference = ops.sub(normalized(ops, teacher.get(tap)), normalized(ops, student.get(tap)));
            String distance = ops.reduceSum(ops.mul(difference, difference), true, 1);
            String up = tapSizes.get(tap).equals(first) ? distance
                    : ops.resizeBilinear(distance, tapSizes.get(tap), first);
            product = product == null ? up : ops.mul(product, up);
        }
        String map = ops.resizeBilinear(product, first, inputSize);
        return new ServedMap(map, ops.reduceMax(map, true, 1, 2, 3));
    }

    /** PyTorch's {@code F.normalize(x, dim=1)}: x / max(|x|, eps) along channels. */
    private static String normalized(OnnxOps ops, String features) {
        return ops.div(features, ops.max(ops.reduceL2(features, true, 1), StfpmAnomalyMap.NORMALIZE_EPS));
    }
}
