package dev.kdedge.calibration.method.mkd;

import dev.kdedge.calibration.method.SampleCosine;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.network.OnnxBackprop;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.network.ServedStudent;
import dev.kdedge.calibration.tensor.Extent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link MkdAnomalyMap} as ONNX operators, per sample of the batch. Score: the detection loss from the teacher's and
 * the cloner's taps. Map: the loss's derivative at each detection tap, written in closed form (for s the student's
 * flattened tap, t the teacher's, D their size: d(1 - cos)/ds = cos s/|s|^2 - t/(|s||t|), d(lambda MSE)/ds =
 * 2 lambda (s - t) / D), carried back to the image through the cloner by {@link OnnxBackprop}; then the per-image
 * normalization, its 99th percentile taken from a TopK of the largest 1% (NumPy's linear interpolation between the
 * two order statistics around it), and the Gaussian blur.
 */
final class MkdServedMap {
    private MkdServedMap() {}

    static ServedMap write(OnnxOps ops, List<String> teacherTaps, ServedStudent student, List<Extent> tapSizes,
            List<Integer> detectionTaps, Extent inputSize, boolean guided) {
        Map<String, Integer> channels = student.graph().channels();
        String score = null;
        Map<String, String> seeds = new HashMap<>();
        for (int tap : detectionTaps) {
            String output = student.graph().outputs().get(tap);
            String t = teacherTaps.get(tap);
            String s = student.value(output);
            float size = (float) channels.get(output) * tapSizes.get(tap).area();
            String studentNorm = ops.max(ops.reduceL2(s, true, 1, 2, 3), SampleCosine.EPS);
            String norms = ops.mul(studentNorm, ops.max(ops.reduceL2(t, true, 1, 2, 3), SampleCosine.EPS));
            String cosine = ops.div(ops.reduceSum(ops.mul(t, s), true, 1, 2, 3), norms);
            String difference = ops.sub(s, t);
            String meanSquared = ops.scale(ops.reduceSum(ops.mul(difference, difference), true, 1, 2, 3), 1 / size);
            String loss = ops.add(ops.subtractFrom(1, cosine), ops.scale(meanSquared, MkdLoss.LAMBDA));
            score = score == null ? loss : ops.add(score, loss);
            String direction = ops.sub(ops.mul(cosine, ops.div(s, ops.mul(studentNorm, studentNorm))),
                    ops.div(t, norms));
            seeds.put(output, ops.add(direction, ops.scale(difference, 2 * MkdLoss.LAMBDA / size)));
        }
        String gradient = new OnnxBackprop(ops, student, inputSize, guided).inputGradient(seeds);
        String gray = ops.reduceSum(ops.abs(gradient), true, 1);
        String minimum = ops.reduceMin(gray, true, 2, 3);
        String range = ops.max(ops.sub(percentile(ops, gray, inputSize.area()), minimum),
                MkdAnomalyMap.MIN_RANGE);
        String normalized = ops.clip(ops.div(ops.sub(gray, minimum), range), 0, 1);
        return new ServedMap(ops.gaussianBlur(normalized, MkdAnomalyMap.BLUR, inputSize), score);
    }

    /** {@link MkdAnomalyMap#percentile} of each sample's {@code count} values, [N, 1, 1, 1]. */
    private static String percentile(OnnxOps ops, String gray, int count) {
        double position = MkdAnomalyMap.PERCENTILE / 100 * (count - 1);
        int below = (int) Math.floor(position);
        int largest = count - below;
        String top = ops.topK(ops.reshape(gray, 0, -1), largest);
        String atBelow = ops.gather(top, 1, new int[] {largest - 1});
        if (largest == 1) {
            return ops.reshape(atBelow, 0, 1, 1, 1);
        }
        String atAbove = ops.gather(top, 1, new int[] {largest - 2});
        String value = ops.add(atBelow, ops.scale(ops.sub(atAbove, atBelow), (float) (position - below)));
        return ops.reshape(value, 0, 1, 1, 1);
    }
}
