package dev.kdedge.calibration.network;

import dev.kdedge.onnx.AttributeProto;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.TensorProto;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Appends operators to an ONNX graph under construction, each under a fresh name: the vocabulary a method's anomaly
 * map is written in when it is served as part of the graph. Every method returns the name of the value it produced.
 * Written for the graph's opset: reduction axes are an attribute or an input depending on it.
 */
public final class OnnxOps {
    private final GraphProto.Builder graph;
    private final long opset;
    private final String prefix;
    private int next;

    public OnnxOps(GraphProto.Builder graph, long opset, String prefix) {
        this.graph = graph;
        this.opset = opset;
        this.prefix = prefix;
    }

    public String add(String a, String b) {
        return node("Add", a, b);
    }

    public String sub(String a, String b) {
        return node("Sub", a, b);
    }

    public String mul(String a, String b) {
        return node("Mul", a, b);
    }

    public String div(String a, String b) {
        return node("Div", a, b);
    }

    /** {@code scalar - x}, element-wise. */
    public String subtractFrom(float scalar, String x) {
        return node("Sub", scalar(scalar), x);
    }

    /** Element-wise maximum of {@code x} and a scalar. */
    public String max(String x, float scalar) {
        return node("Max", x, scalar(scalar));
    }

    /** Euclidean norm over {@code axes}. */
    public String reduceL2(String x, boolean keepDims, long... axes) {
        return reduce("ReduceL2", 18, x, keepDims, axes);
    }

    public String reduceSum(String x, boolean keepDims, long... axes) {
        return reduce("ReduceSum", 13, x, keepDims, axes);
    }

    public String reduceMax(String x, boolean keepDims, long... axes) {
        return reduce("ReduceMax", 18, x, keepDims, axes);
    }

    /**
     * Bilinear resize of an NCHW value by integer-ratio {@code scale} in height and width, with half-pixel centers
     * and clamped borders: PyTorch's {@code F.interpolate(mode="bilinear", align_corners=False)}.
     */
    public String resizeBilinear(String x, float scale) {
        return resize(x, scale, "half_pixel");
    }

    /**
     * Bilinear resize by {@code scale} that maps the corner pixels' centers onto each other: PyTorch's {@code
     * F.interpolate(mode="bilinear", align_corners=True)}.
     */
    public String resizeBilinearAlignCorners(String x, float scale) {
        return resize(x, scale, "align_corners");
    }

    /** The elements of {@code x} at {@code indices} along {@code axis} (a fixed reordering, padding or crop). */
    public String gather(String x, int axis, int[] indices) {
        String index = constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(indices.length).addAllInt64Data(Arrays.stream(indices).asLongStream().boxed().toList()));
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Gather").setName(out).addInput(x).addInput(index)
                .addOutput(out).addAttribute(AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(axis)));
        return out;
    }

    /**
     * A convolution of a one-channel NCHW value with a fixed {@code kernelHeight} x {@code kernelWidth} kernel
     * (row-major), without padding: the output shrinks by the kernel's size minus one.
     */
    public String convolve(String x, float[] kernel, int kernelHeight, int kernelWidth) {
        String weights = constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(List.of(1L, 1L, (long) kernelHeight, (long) kernelWidth))
                .addAllFloatData(IntStream.range(0, kernel.length).mapToObj(i -> kernel[i]).toList()));
        return node("Conv", x, weights);
    }

    private String resize(String x, float scale, String coordinates) {
        String scales = constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(4)
                .addAllFloatData(Arrays.asList(1f, 1f, scale, scale)));
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Resize").setName(out).addInput(x).addInput("").addInput(scales)
                .addOutput(out)
                .addAttribute(string("mode", "linear"))
                .addAttribute(string("coordinate_transformation_mode", coordinates)));
        return out;
    }

    /** Gives {@code value} the name {@code name} (a graph output's name). */
    public String identity(String value, String name) {
        graph.addNode(NodeProto.newBuilder().setOpType("Identity").setName(name).addInput(value).addOutput(name));
        return name;
    }

    private String reduce(String op, long axesAsInputFrom, String x, boolean keepDims, long... axes) {
        String out = fresh();
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addInput(x).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("keepdims").setType(AttributeProto.AttributeType.INT)
                        .setI(keepDims ? 1 : 0));
        if (opset >= axesAsInputFrom) {
            n.addInput(constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
                    .addDims(axes.length).addAllInt64Data(Arrays.stream(axes).boxed().toList())));
        } else {
            n.addAttribute(AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS)
                    .addAllInts(Arrays.stream(axes).boxed().toList()));
        }
        graph.addNode(n);
        return out;
    }

    private String node(String op, String a, String b) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(out).addInput(a).addInput(b).addOutput(out));
        return out;
    }

    private String scalar(float value) {
        return constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(value));
    }

    private String constant(TensorProto.Builder tensor) {
        String name = fresh();
        graph.addInitializer(tensor.setName(name));
        return name;
    }

    private String fresh() {
        return prefix + next++;
    }

    private static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }
}
