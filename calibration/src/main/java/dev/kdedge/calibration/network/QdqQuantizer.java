package dev.kdedge.calibration.network;

import com.google.protobuf.ByteString;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.onnx.AttributeProto;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.TensorProto;
import dev.kdedge.onnx.TypeProto;
import dev.kdedge.onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the INT8 variant of a float ONNX graph as QuantizeLinear/DequantizeLinear pairs (QDQ), in the form one
 * runtime turns into integer kernels ({@link QdqScheme}): ONNX Runtime's CPU kernels (VNNI where the CPU has it), or
 * TensorRT's explicit INT8. Only the networks are quantized, the nodes whose outputs carry one of the given prefixes;
 * what reads their features (a method's anomaly map) stays float and reads them unrounded. Blocks of the networks can
 * be left in float too ({@link #quantized(Map, Set, QdqScheme)}). Folding, the plan of what to quantize and the
 * activations to observe are the same for every scheme: one quantizer writes both forms.
 *
 * <p>Patterns each runtime fuses into one integer kernel (ONNX Runtime's own quantizer writes them so): convolution
 * weights symmetric int8 per output channel, activations per tensor from the ranges observed on calibration images
 * ({@link #observing}), biases and activations' integer type as the scheme says. An activation is quantized after its
 * ReLU, not before: in uint8 the ReLU then disappears into the quantization, whose range starts at 0; TensorRT fuses
 * it into the convolution. A max-pool runs in float on its unrounded input, its output quantized for the convolutions
 * after it. An eval-mode BatchNormalization directly after a convolution is folded into it first: quantizing the
 * weights without it would leave the convolution in float.
 */
public final class QdqQuantizer {
    private static final Set<String> QUANTIZED_OUTPUTS = Set.of("Conv", "Relu", "Add", "MaxPool");

    /** The range of values an activation took on the calibration images. */
    public record Range(float min, float max) {
        public Range union(Range other) {
            return new Range(Math.min(min, other.min), Math.max(max, other.max));
        }

        public Range times(float factor) {
            return new Range(min * factor, max * factor);
        }

        /** 0 is always exactly representable, as padding and ReLU need. */
        float scale(QdqScheme scheme) {
            float low = Math.min(min, 0);
            float high = Math.max(max, 0);
            return switch (scheme) {
                case ONNX_RUNTIME -> high > low ? (high - low) / 255f : 1f;
                case TENSORRT -> high > low ? Math.max(high, -low) / 127f : 1f;
            };
        }

        int zeroPoint(QdqScheme scheme) {
            return switch (scheme) {
                case ONNX_RUNTIME -> Math.max(0, Math.min(255, Math.round(-Math.min(min, 0) / scale(scheme))));
                case TENSORRT -> 0;
            };
        }
    }

    private final ModelProto model;
    private final GraphProto folded;
    private final List<String> prefixes;
    private final Plan everything;

    /** Which activations are quantized. */
    private record Plan(List<String> activations) {}

    /** @param networkPrefixes the prefixes of the names of the values the quantized networks compute */
    public QdqQuantizer(ModelProto model, List<String> networkPrefixes) {
        this.model = model;
        this.prefixes = networkPrefixes;
        this.folded = foldBatchNorms(model.getGraph(), networkPrefixes);
        this.everything = plan(Set.of());
    }

    /** Every activation that may be quantized, in the order {@link #observing()} outputs them. */
    public List<String> activations() {
        return everything.activations();
    }

    /**
     * The networks' blocks that hold quantized operators, the unit {@link #quantized(Map, Set, QdqScheme)} can leave in
     * float: a residual block ({@code student/layer1.0}), or one stem layer ({@code teacher/maxpool}).
     */
    public List<String> blocks() {
        Set<String> blocks = new LinkedHashSet<>();
        for (NodeProto node : folded.getNodeList()) {
            if (inNetwork(node, prefixes) && QUANTIZED_OUTPUTS.contains(node.getOpType())) {
                blocks.add(blockOf(node));
            }
        }
        return List.copyOf(blocks);
    }

    /**
     * The float graph (batch norms folded) with every activation to quantize as an extra output after its own, in
     * {@link #activations()}' order: run it on calibration images to find their ranges.
     */
    public ModelProto observing() {
        GraphProto.Builder g = folded.toBuilder();
        for (String activation : activations()) {
            String observed = activation + "/observed";
            g.addNode(NodeProto.newBuilder().setOpType("Identity").setName(observed).addInput(activation)
                    .addOutput(observed));
            g.addOutput(ValueInfoProto.newBuilder().setName(observed).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        }
        return model.toBuilder().setGraph(g).build();
    }

    /**
     * The QDQ graph in {@code scheme}'s form, given the range observed for each of {@link #activations()}, with the
     * {@link #blocks()} in {@code floatBlocks} left in float.
     */
    public ModelProto quantized(Map<String, Range> ranges, Set<String> floatBlocks, QdqScheme scheme) {
        Plan plan = plan(floatBlocks);
        Map<String, Range> used = new HashMap<>();
        for (String activation : plan.activations()) {
            Range range = ranges.get(activation);
            if (range == null) {
                throw new IllegalArgumentException("no range observed for " + activation);
            }
            used.put(activation, range);
        }
        Map<String, TensorProto> initializers = new LinkedHashMap<>();
        folded.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        GraphProto.Builder g = folded.toBuilder().clearNode().clearInitializer();
        List<NodeProto> weightNodes = new ArrayList<>();
        List<NodeProto> body = new ArrayList<>();
        for (String input : folded.getInputList().stream().map(ValueInfoProto::getName).toList()) {
            if (used.containsKey(input)) {
                body.addAll(quantizeDequantize(input, used.get(input), scheme, initializers));
            }
        }
        for (NodeProto node : folded.getNodeList()) {
            NodeProto.Builder rewritten = node.toBuilder().clearInput();
            boolean integer = readsIntegers(node, floatBlocks);
            for (String input : node.getInputList()) {
                rewritten.addInput(integer && used.containsKey(input) ? dequantized(input) : input);
            }
            if (integer && node.getOpType().equals("Conv") && used.containsKey(node.getInput(0))
                    && initializers.containsKey(node.getInput(1))) {
                quantizeConvWeights(rewritten, node, used.get(node.getInput(0)), scheme, initializers, weightNodes);
            }
            body.add(rewritten.build());
            for (String output : node.getOutputList()) {
                if (used.containsKey(output)) {
                    body.addAll(quantizeDequantize(output, used.get(output), scheme, initializers));
                }
            }
        }
        g.addAllNode(weightNodes).addAllNode(body).addAllInitializer(initializers.values());
        return model.toBuilder().setGraph(withoutUnreadInitializers(g)).build();
    }

    private boolean quantizes(NodeProto node, Set<String> floatBlocks) {
        return inNetwork(node, prefixes) && !floatBlocks.contains(blockOf(node));
    }

    /**
     * Whether the node reads its quantized inputs rounded. A tap's reader (the map, or the Identity naming it) takes
     * the float value: features that differ between teacher and student by less than a quantization step must not
     * be rounded before they meet. A max-pool too: MKD's backward pass finds its winners by comparing the pool's
     * input and output.
     */
    private boolean readsIntegers(NodeProto node, Set<String> floatBlocks) {
        return quantizes(node, floatBlocks) && !node.getOpType().equals("Identity")
                && !node.getOpType().equals("MaxPool");
    }

    /** {@code student/layer1.0.conv1} -> {@code student/layer1.0}; {@code teacher/relu} -> itself. */
    private static String blockOf(NodeProto node) {
        String name = node.getOutput(0);
        int slash = name.indexOf('/');
        int firstDot = name.indexOf('.', slash + 1);
        int secondDot = firstDot < 0 ? -1 : name.indexOf('.', firstDot + 1);
        return secondDot < 0 ? name : name.substring(0, secondDot);
    }

    private static GraphProto withoutUnreadInitializers(GraphProto.Builder graph) {
        Set<String> read = new HashSet<>();
        graph.getNodeList().forEach(n -> read.addAll(n.getInputList()));
        List<TensorProto> kept = graph.getInitializerList().stream().filter(t -> read.contains(t.getName())).toList();
        return graph.clearInitializer().addAllInitializer(kept).build();
    }

    private static String dequantized(String activation) {
        return activation + "/dq";
    }

    private static List<NodeProto> quantizeDequantize(String activation, Range range, QdqScheme scheme,
            Map<String, TensorProto> initializers) {
        String scale = activation + "/scale";
        String zeroPoint = activation + "/zero_point";
        initializers.put(scale, floats(scale, new long[0], new float[] {range.scale(scheme)}));
        initializers.put(zeroPoint, TensorProto.newBuilder().setName(zeroPoint)
                .setDataType(scheme == QdqScheme.ONNX_RUNTIME ? TensorProto.DataType.UINT8_VALUE
                        : TensorProto.DataType.INT8_VALUE)
                .setRawData(ByteString.copyFrom(new byte[] {(byte) range.zeroPoint(scheme)})).build());
        String quantized = activation + "/q";
        return List.of(
                NodeProto.newBuilder().setOpType("QuantizeLinear").setName(quantized).addInput(activation)
                        .addInput(scale).addInput(zeroPoint).addOutput(quantized).build(),
                NodeProto.newBuilder().setOpType("DequantizeLinear").setName(dequantized(activation))
                        .addInput(quantized).addInput(scale).addInput(zeroPoint).addOutput(dequantized(activation))
                        .build());
    }

    /**
     * Per output channel: int8 weights at max|w|/127; for {@link QdqScheme#ONNX_RUNTIME} the bias too, int32 at the
     * input's scale times the channel's.
     */
    private static void quantizeConvWeights(NodeProto.Builder conv, NodeProto original, Range input, QdqScheme scheme,
            Map<String, TensorProto> initializers, List<NodeProto> weightNodes) {
        String weightName = original.getInput(1);
        OnnxWeights.Tensor weight = OnnxWeights.of(initializers.get(weightName));
        int channels = (int) weight.dims()[0];
        int perChannel = weight.values().length / channels;
        float[] scales = new float[channels];
        byte[] quantized = new byte[weight.values().length];
        for (int c = 0; c < channels; c++) {
            float largest = 0;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
                largest = Math.max(largest, Math.abs(weight.values()[i]));
            }
            scales[c] = largest > 0 ? largest / 127f : 1f;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
                quantized[i] = (byte) Math.max(-127, Math.min(127, Math.round(weight.values()[i] / scales[c])));
            }
        }
        String prefix = original.getOutput(0) + "/weight";
        initializers.put(prefix + "/int8", TensorProto.newBuilder().setName(prefix + "/int8")
                .setDataType(TensorProto.DataType.INT8_VALUE).addAllDims(boxed(weight.dims()))
                .setRawData(ByteString.copyFrom(quantized)).build());
        initializers.put(prefix + "/scale", floats(prefix + "/scale", new long[] {channels}, scales));
        initializers.put(prefix + "/zero_point", TensorProto.newBuilder().setName(prefix + "/zero_point")
                .setDataType(TensorProto.DataType.INT8_VALUE).addDims(channels)
                .setRawData(ByteString.copyFrom(new byte[channels])).build());
        weightNodes.add(perChannelDequantize(prefix, prefix + "/int8"));
        conv.setInput(1, prefix + "/dq");
        if (scheme == QdqScheme.ONNX_RUNTIME && original.getInputCount() > 2
                && initializers.containsKey(original.getInput(2))) {
            float[] bias = OnnxWeights.of(initializers.get(original.getInput(2))).values();
            String biasPrefix = original.getOutput(0) + "/bias";
            float[] biasScales = new float[channels];
            ByteBuffer raw = ByteBuffer.allocate(channels * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < channels; c++) {
                biasScales[c] = input.scale(scheme) * scales[c];
                raw.putInt((int) Math.round(bias[c] / (double) biasScales[c]));
            }
            initializers.put(biasPrefix + "/int32", TensorProto.newBuilder().setName(biasPrefix + "/int32")
                    .setDataType(TensorProto.DataType.INT32_VALUE).addDims(channels)
                    .setRawData(ByteString.copyFrom(raw.array())).build());
            initializers.put(biasPrefix + "/scale", floats(biasPrefix + "/scale", new long[] {channels},
                    biasScales));
            ByteBuffer zeros = ByteBuffer.allocate(channels * Integer.BYTES);
            initializers.put(biasPrefix + "/zero_point", TensorProto.newBuilder().setName(biasPrefix + "/zero_point")
                    .setDataType(TensorProto.DataType.INT32_VALUE).addDims(channels)
                    .setRawData(ByteString.copyFrom(zeros.array())).build());
            weightNodes.add(perChannelDequantize(biasPrefix, biasPrefix + "/int32"));
            conv.setInput(2, biasPrefix + "/dq");
        }
    }

    private static NodeProto perChannelDequantize(String prefix, String values) {
        return NodeProto.newBuilder().setOpType("DequantizeLinear").setName(prefix + "/dq").addInput(values)
                .addInput(prefix + "/scale").addInput(prefix + "/zero_point").addOutput(prefix + "/dq")
                .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                        .setI(0))
                .build();
    }

    /**
     * Every Conv, ReLU, Add and max-pool output of the quantized nodes that a node reads rounded, except one read
     * only by a ReLU (quantized after it instead), and every value a quantized Conv reads (the image, or a float op's
     * output).
     */
    private Plan plan(Set<String> floatBlocks) {
        Map<String, List<NodeProto>> consumers = consumers(folded);
        Set<String> chosen = new LinkedHashSet<>();
        for (NodeProto node : folded.getNodeList()) {
            if (!quantizes(node, floatBlocks)) {
                continue;
            }
            if (node.getOpType().equals("Conv")) {
                chosen.add(node.getInput(0));
            }
            String output = node.getOutput(0);
            List<NodeProto> readers = consumers.getOrDefault(output, List.of());
            boolean onlyReluReads = !readers.isEmpty() && readers.stream().allMatch(r -> r.getOpType().equals("Relu"));
            boolean readRounded = readers.stream().anyMatch(r -> readsIntegers(r, floatBlocks));
            if (QUANTIZED_OUTPUTS.contains(node.getOpType()) && !onlyReluReads && readRounded) {
                chosen.add(output);
            }
        }
        return new Plan(List.copyOf(chosen));
    }

    private static boolean inNetwork(NodeProto node, List<String> prefixes) {
        return node.getOutputCount() > 0
                && node.getOutputList().stream().allMatch(o -> prefixes.stream().anyMatch(o::startsWith));
    }

    private static Map<String, List<NodeProto>> consumers(GraphProto graph) {
        Map<String, List<NodeProto>> consumers = new HashMap<>();
        for (NodeProto node : graph.getNodeList()) {
            for (String input : node.getInputList()) {
                consumers.computeIfAbsent(input, i -> new ArrayList<>()).add(node);
            }
        }
        return consumers;
    }

    /**
     * Folds each network BatchNormalization that is the only reader of a Conv's output into that Conv: weights
     * scaled by gamma / sqrt(var + eps) per channel, bias beta - mean * that + the conv's own bias times it. The
     * folded Conv's output takes the batch norm's name; the original weights stay for any other reader.
     */
    private static GraphProto foldBatchNorms(GraphProto graph, List<String> prefixes) {
        Map<String, TensorProto> initializers = new HashMap<>();
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Map<String, List<NodeProto>> consumers = consumers(graph);
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        Map<String, NodeProto> producers = new HashMap<>();
        graph.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producers.put(o, n)));

        GraphProto.Builder g = graph.toBuilder().clearNode();
        Set<NodeProto> foldedConvs = new HashSet<>();
        Map<NodeProto, NodeProto> replacement = new HashMap<>();
        for (NodeProto bn : graph.getNodeList()) {
            if (!bn.getOpType().equals("BatchNormalization") || !inNetwork(bn, prefixes)) {
                continue;
            }
            NodeProto conv = producers.get(bn.getInput(0));
            if (conv == null || !conv.getOpType().equals("Conv") || outputs.contains(bn.getInput(0))
                    || consumers.get(bn.getInput(0)).size() != 1 || !initializers.containsKey(conv.getInput(1))
                    || bn.getInputList().subList(1, 5).stream().anyMatch(i -> !initializers.containsKey(i))) {
                continue;
            }
            float epsilon = bn.getAttributeList().stream().filter(a -> a.getName().equals("epsilon"))
                    .map(AttributeProto::getF).findFirst().orElse(1e-5f);
            float[] gamma = OnnxWeights.of(initializers.get(bn.getInput(1))).values();
            float[] beta = OnnxWeights.of(initializers.get(bn.getInput(2))).values();
            float[] mean = OnnxWeights.of(initializers.get(bn.getInput(3))).values();
            float[] variance = OnnxWeights.of(initializers.get(bn.getInput(4))).values();
            OnnxWeights.Tensor weight = OnnxWeights.of(initializers.get(conv.getInput(1)));
            float[] convBias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()
                    ? OnnxWeights.of(initializers.get(conv.getInput(2))).values() : new float[gamma.length];
            int perChannel = weight.values().length / gamma.length;
            float[] weights = new float[weight.values().length];
            float[] bias = new float[gamma.length];
            for (int c = 0; c < gamma.length; c++) {
                double factor = gamma[c] / Math.sqrt(variance[c] + epsilon);
                for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
                    weights[i] = (float) (weight.values()[i] * factor);
                }
                bias[c] = (float) (beta[c] + (convBias[c] - mean[c]) * factor);
            }
            String name = bn.getOutput(0);
            g.addInitializer(floats(name + "/folded_weight", weight.dims(), weights));
            g.addInitializer(floats(name + "/folded_bias", new long[] {gamma.length}, bias));
            NodeProto.Builder fused = conv.toBuilder().clearInput().clearOutput().addInput(conv.getInput(0))
                    .addInput(name + "/folded_weight").addInput(name + "/folded_bias").addOutput(name);
            foldedConvs.add(bn);
            replacement.put(conv, fused.build());
        }
        for (NodeProto node : graph.getNodeList()) {
            if (!foldedConvs.contains(node)) {
                g.addNode(replacement.getOrDefault(node, node));
            }
        }
        return withoutUnreadInitializers(g);
    }

    private static TensorProto floats(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(boxed(dims)).setRawData(ByteString.copyFrom(raw.array())).build();
    }

    private static List<Long> boxed(long[] values) {
        return Arrays.stream(values).boxed().toList();
    }
}
