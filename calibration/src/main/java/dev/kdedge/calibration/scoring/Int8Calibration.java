package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.network.QdqQuantizer;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.ModelProto;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the INT8 variants of a served graph, one per runtime ({@link QdqScheme}): its teacher and student quantized
 * ({@link QdqQuantizer}) with activation ranges observed on a product's normal images, its anomaly map and score still
 * computed in float. Each variant is judged by ONNX Runtime on this CPU, which runs the TensorRT one's rounding as
 * written (Q/DQ pairs it does not fuse, in float). A variant is
 * published only if its scores stay near the float graph's, measured as a fraction of the product's threshold: a
 * score moved by less than {@link #TOLERANCE} of the threshold can only change the verdict of an image that close to
 * it. Where quantizing everything moves the calibration normals' scores beyond {@link #SELECTION_TARGET} of that, the
 * blocks whose quantization alone moves them most are left in float, one at a time, up to half of them.
 */
public final class Int8Calibration {
    /** The largest score deviation published, as a fraction of the threshold. */
    public static final double TOLERANCE = 0.10;
    /**
     * Blocks are left in float until the calibration normals' deviation is this share of the tolerance: chosen on
     * those images, the graph moves the held-out ones further (the demo: 3.1% of the threshold on the calibration
     * normals, 5.4% on the held-out ones).
     */
    private static final double SELECTION_TARGET = 0.75;
    /**
     * Calibration images on which each block's own effect is measured: enough to rank the blocks. Whole graphs are
     * measured on all of them, as many as the check has: the deviation is a largest value, which grows with the
     * number of images it is taken over.
     */
    private static final int SELECTION_IMAGES = 8;

    /**
     * @param model the QDQ graph, or null where none met the tolerance
     * @param floatBlocks the network blocks left in float
     * @param deviation the largest |INT8 score - float score| / threshold over the check images
     * @param refusal why there is no INT8 variant, or null
     */
    public record Result(ModelProto model, List<String> floatBlocks, double deviation, String refusal) {
        public boolean accepted() {
            return model != null;
        }
    }

    private Int8Calibration() {}

    /**
     * Each activation's range is this many times what the normals showed. A defect drives activations beyond any
     * normal's, and a range fitted to the normals clips them: in ONNX Runtime's variant the demo's scratched sample
     * then scored 0.25 of its fp32 score, below the threshold; 0.70 at 1.5 times the range, 1.02 at twice. TensorRT's
     * symmetric int8 spans the larger side of a range on both sides, which leaves room on the other, and gives a
     * ReLU's output half the steps already: twice the range there cost 0.7 points of pixel AUROC on MT-256 (STFPM
     * and RD4AD alike), 1.5 times 0.3-0.4 points, and the demo's scratch kept 1.12 of its fp32 score.
     */
    private static float headroom(QdqScheme scheme) {
        return switch (scheme) {
            case ONNX_RUNTIME -> 2f;
            case TENSORRT -> 1.5f;
        };
    }

    /**
     * Builds the variant of every {@link QdqScheme} from the same activation ranges, each held to the tolerance on
     * its own: the schemes round differently (TensorRT's int8 gives a ReLU's output half the steps).
     *
     * @param calibration preprocessed normal images ([1, 3, H, W] each) whose activations set the ranges and on which
     *     the blocks to leave in float are chosen
     * @param check other normal images on which the variant's deviation is measured and held to the tolerance
     */
    public static Map<QdqScheme, Result> build(ModelProto served, List<FloatTensor> calibration,
            List<FloatTensor> check, double threshold, InferenceOptions options) throws IOException {
        if (calibration.isEmpty() || check.isEmpty()) {
            throw new IllegalArgumentException("INT8 calibration needs calibration and check images");
        }
        QdqQuantizer quantizer = new QdqQuantizer(served, ServedGraph.NETWORK_PREFIXES);
        Map<String, QdqQuantizer.Range> ranges = observedRanges(quantizer, served, calibration, options);
        Deviation onCalibration;
        Deviation onSelection;
        Deviation onCheck;
        try (OnnxNetwork floatGraph = OnnxNetwork.load(served.toByteArray(), "served graph", options)) {
            onCalibration = new Deviation(floatGraph, calibration, threshold, options);
            onSelection = new Deviation(floatGraph, calibration.subList(0, Math.min(SELECTION_IMAGES,
                    calibration.size())), threshold, options);
            onCheck = new Deviation(floatGraph, check, threshold, options);
        }
        Map<QdqScheme, Result> results = new EnumMap<>(QdqScheme.class);
        for (QdqScheme scheme : QdqScheme.values()) {
            Map<String, QdqQuantizer.Range> widened = new HashMap<>();
            ranges.forEach((activation, range) -> widened.put(activation, range.times(headroom(scheme))));
            results.put(scheme, build(quantizer, scheme, widened, onCalibration, onSelection, onCheck));
        }
        return results;
    }

    private static Result build(QdqQuantizer quantizer, QdqScheme scheme, Map<String, QdqQuantizer.Range> ranges,
            Deviation onCalibration, Deviation onSelection, Deviation onCheck) throws IOException {
        Set<String> floatBlocks = new LinkedHashSet<>();
        ModelProto model = quantizer.quantized(ranges, floatBlocks, scheme);
        double deviation = onCalibration.of(model);
        if (deviation > SELECTION_TARGET * TOLERANCE) {
            List<String> blocks = quantizer.blocks();
            Map<String, Double> alone = new HashMap<>();
            for (String block : blocks) {
                Set<String> others = new LinkedHashSet<>(blocks);
                others.remove(block);
                alone.put(block, onSelection.of(quantizer.quantized(ranges, others, scheme)));
            }
            List<String> mostSensitive = new ArrayList<>(blocks);
            mostSensitive.sort(Comparator.comparing(alone::get).reversed());
            // Errors of the teacher and the student partly cancel, so leaving a block in float can move the scores
            // further: the graph kept is the closest one tried.
            Set<String> tried = new LinkedHashSet<>();
            for (String block : mostSensitive.subList(0, blocks.size() / 2)) {
                tried.add(block);
                ModelProto candidate = quantizer.quantized(ranges, tried, scheme);
                double candidateDeviation = onCalibration.of(candidate);
                if (candidateDeviation < deviation) {
                    model = candidate;
                    deviation = candidateDeviation;
                    floatBlocks = new LinkedHashSet<>(tried);
                }
                if (deviation <= SELECTION_TARGET * TOLERANCE) {
                    break;
                }
            }
            if (deviation > TOLERANCE) {
                return new Result(null, List.copyOf(floatBlocks), deviation, String.format("INT8 scores moved by "
                        + "%.1f%% of the threshold on the calibration normals, at best (up to %d of %d blocks "
                        + "tried in float; tolerance %.0f%%)", 100 * deviation, blocks.size() / 2, blocks.size(),
                        100 * TOLERANCE));
            }
        }
        double checked = onCheck.of(model);
        if (checked > TOLERANCE) {
            return new Result(null, List.copyOf(floatBlocks), checked, String.format("INT8 scores moved by %.1f%% "
                    + "of the threshold on the check normals (tolerance %.0f%%)", 100 * checked, 100 * TOLERANCE));
        }
        return new Result(model, List.copyOf(floatBlocks), checked, null);
    }

    private static Map<String, QdqQuantizer.Range> observedRanges(QdqQuantizer quantizer, ModelProto served,
            List<FloatTensor> normals, InferenceOptions options) throws IOException {
        List<String> activations = quantizer.activations();
        int first = served.getGraph().getOutputCount();
        Map<String, QdqQuantizer.Range> ranges = new HashMap<>();
        try (OnnxNetwork observing = OnnxNetwork.load(quantizer.observing().toByteArray(),
                "served graph observed for INT8 calibration", options)) {
            for (FloatTensor image : normals) {
                observing.runEachOutput(image, (values, output) -> {
                    if (output >= first) {
                        ranges.merge(activations.get(output - first), range(values), QdqQuantizer.Range::union);
                    }
                });
            }
        }
        return ranges;
    }

    private static QdqQuantizer.Range range(float[] values) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return new QdqQuantizer.Range(min, max);
    }

    /** How far a graph's scores are from the float graph's on a set of images, as a fraction of the threshold. */
    private static final class Deviation {
        private final List<FloatTensor> images;
        private final double[] floatScores;
        private final double threshold;
        private final InferenceOptions options;

        Deviation(OnnxNetwork floatGraph, List<FloatTensor> images, double threshold, InferenceOptions options) {
            this.images = images;
            this.floatScores = images.stream().mapToDouble(image -> score(floatGraph, image)).toArray();
            this.threshold = threshold;
            this.options = options;
        }

        double of(ModelProto model) throws IOException {
            double largest = 0;
            try (OnnxNetwork network = OnnxNetwork.load(model.toByteArray(), "INT8 served graph", options)) {
                for (int i = 0; i < images.size(); i++) {
                    largest = Math.max(largest, Math.abs(score(network, images.get(i)) - floatScores[i]));
                }
            }
            return largest / threshold;
        }

        private static double score(OnnxNetwork network, FloatTensor image) {
            return network.run(image).get(1).data()[0];
        }
    }
}
