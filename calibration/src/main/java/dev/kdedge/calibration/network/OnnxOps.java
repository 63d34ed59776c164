package dev.kdedge.calibration.network;

import dev.kdedge.calibration.image.GaussianBlur;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.onnx.AttributeProto;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.TensorProto;
import dev.kdedge.onnx.TypeProto;
import dev.kdedge.onnx.ValueInfoProto;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
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

    /** {@code x / scalar}, element-wise. */
    public String divideBy(String x, float scalar) {
        return node("Div", x, scalar(scalar));
    }

    /** {@code x + scalar}, element-wise. */
    public String addScalar(String x, float scalar) {
        return node("Add", x, scalar(scalar));
    }

    /** {@code x * scalar}, element-wise. */
    public String scale(String x, float scalar) {
        return node("Mul", x, scalar(scalar));
    }

    public String sqrt(String x) {
        return unary("Sqrt", x);
    }

    public String abs(String x) {
        return unary("Abs", x);
    }

    public String relu(String x) {
        return unary("Relu", x);
    }

    /** 1 where {@code x > 0}, else 0, as float. */
    public String positiveMask(String x) {
        return toFloat(node("Greater", x, scalar(0f)));
    }

    /** 1 where {@code a == b}, else 0, as float. */
    public String equalMask(String a, String b) {
        return toFloat(node("Equal", a, b));
    }

    /** 1 where {@code x == value}, else 0, as float. */
    public String equalMask(String x, float value) {
        return toFloat(node("Equal", x, scalar(value)));
    }

    /** Running sum along {@code axis}, each element included in its own sum. */
    public String cumSum(String x, long axis) {
        return node("CumSum", x, constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
                .addInt64Data(axis)));
    }

    /**
     * Each {@code block} x {@code block} tile of an NCHW value moved into channels: channel (by * block + bx) * C + c
     * of the output holds pixel (by, bx) of the tile in channel c; {@link #depthToSpace} undoes it.
     */
    public String spaceToDepth(String x, int block) {
        return blockRearrangement("SpaceToDepth", x, block);
    }

    public String depthToSpace(String x, int block) {
        return blockRearrangement("DepthToSpace", x, block);
    }

    /** {@code x} clamped to [{@code low}, {@code high}]. */
    public String clip(String x, float low, float high) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Clip").setName(out).addInput(x).addInput(scalar(low))
                .addInput(scalar(high)).addOutput(out));
        return out;
    }

    /** {@code x} with the given shape; 0 keeps that dimension, -1 takes what is left. */
    public String reshape(String x, long... shape) {
        return node("Reshape", x, longs(shape));
    }

    /** {@code x} from {@code starts} to {@code ends} (exclusive) along {@code axes}, whole along the others. */
    public String slice(String x, long[] axes, long[] starts, long[] ends) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Slice").setName(out).addInput(x).addInput(longs(starts))
                .addInput(longs(ends)).addInput(longs(axes)).addOutput(out));
        return out;
    }

    /** The values joined along {@code axis}. */
    public String concat(long axis, List<String> values) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Concat").setName(out).addAllInput(values).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                        .setI(axis)));
        return out;
    }

    /** {@code x} with zeros added: {@code pads} holds the count before each axis, then after each (ONNX's order). */
    public String padWithZeros(String x, long... pads) {
        return node("Pad", x, longs(pads));
    }

    /** The element-wise sum of the values, added in their order. */
    public String sum(List<String> values) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Sum").setName(out).addAllInput(values).addOutput(out));
        return out;
    }

    /** The {@code k} largest values along the last axis, largest first. */
    public String topK(String x, long k) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("TopK").setName(out).addInput(x).addInput(longs(k))
                .addOutput(out).addOutput(out + ".indices"));
        return out;
    }

    /**
     * The transposed convolution of an NCHW value with a weight already in the graph ([in, out, k, k]): what carries
     * a gradient back through a convolution with that weight, the output paddings restoring the rows and columns a
     * strided convolution dropped.
     */
    public String convTranspose(String x, String weight, int kernel, int stride, int padding,
            int outputPaddingHeight, int outputPaddingWidth) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("ConvTranspose").setName(out).addInput(x).addInput(weight)
                .addOutput(out).addAttribute(ints("kernel_shape", kernel, kernel))
                .addAttribute(ints("strides", stride, stride))
                .addAttribute(ints("pads", padding, padding, padding, padding))
                .addAttribute(ints("output_padding", outputPaddingHeight, outputPaddingWidth)));
        return out;
    }

    /** Each pixel of an NCHW value repeated into a {@code factor} x {@code factor} block. */
    public String repeatPixels(String x, int factor) {
        String scales = constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(4)
                .addAllFloatData(Arrays.asList(1f, 1f, (float) factor, (float) factor)));
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Resize").setName(out).addInput(x).addInput("").addInput(scales)
                .addOutput(out)
                .addAttribute(string("mode", "nearest"))
                .addAttribute(string("coordinate_transformation_mode", "asymmetric"))
                .addAttribute(string("nearest_mode", "floor")));
        return out;
    }

    /**
     * {@link GaussianBlur} of a one-channel NCHW map of {@code size}: two one-dimensional convolutions
     * (the kernel is separable: 2k multiply-adds a pixel instead of k^2), each after a gather that pads the border by
     * reflection as SciPy does (ONNX's Pad "reflect" leaves out the edge pixel, SciPy's includes it).
     */
    public String gaussianBlur(String x, GaussianBlur blur, Extent size) {
        float[] kernel = blur.kernel();
        String rows = convolve(gather(x, 3, blur.paddedIndices(size.width())), kernel, 1, kernel.length);
        return convolve(gather(rows, 2, blur.paddedIndices(size.height())), kernel, kernel.length, 1);
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

    public String reduceMin(String x, boolean keepDims, long... axes) {
        return reduce("ReduceMin", 18, x, keepDims, axes);
    }

    /**
     * Bilinear resize of an NCHW value from {@code from} to {@code to}, with half-pixel centers and clamped borders:
     * PyTorch's {@code F.interpolate(size=to, mode="bilinear", align_corners=False)}.
     */
    public String resizeBilinear(String x, Extent from, Extent to) {
        return resize(x, from, to, "half_pixel");
    }

    /**
     * Bilinear resize from {@code from} to {@code to} that maps the corner pixels' centers onto each other: PyTorch's
     * {@code F.interpolate(size=to, mode="bilinear", align_corners=True)}.
     */
    public String resizeBilinearAlignCorners(String x, Extent from, Extent to) {
        return resize(x, from, to, "align_corners");
    }

    /** The elements of {@code x} at {@code indices} along {@code axis} (a fixed reordering, padding or crop). */
    public String gather(String x, int axis, int[] indices) {
        return gather(x, axis, longs(Arrays.stream(indices).asLongStream().toArray()));
    }

    /** The elements of {@code x} at the positions the int64 value {@code indices} holds, along {@code axis}. */
    public String gather(String x, int axis, String indices) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Gather").setName(out).addInput(x).addInput(indices)
                .addOutput(out).addAttribute(AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(axis)));
        return out;
    }

    /**
     * Resizes {@code x} along {@code axes} to {@code sizes} with the triangle filter widened by the scale where it
     * shrinks (antialiased), half-pixel centers, taps beyond the border left out: Pillow's bilinear {@code
     * Image.resize} (on 8-bit values, its fixed-point arithmetic too). Needs opset 18.
     */
    public String resizeAntialiased(String x, long[] axes, long[] sizes) {
        if (opset < 18) {
            throw new IllegalStateException("Resize antialiases from opset 18; this graph is opset " + opset);
        }
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Resize").setName(out).addInput(x).addInput("").addInput("")
                .addInput(longs(sizes)).addOutput(out)
                .addAttribute(string("mode", "linear"))
                .addAttribute(string("coordinate_transformation_mode", "half_pixel"))
                .addAttribute(AttributeProto.newBuilder().setName("antialias").setType(AttributeProto.AttributeType.INT)
                        .setI(1))
                // Pillow leaves the taps beyond the border out and renormalizes the rest
                .addAttribute(AttributeProto.newBuilder().setName("exclude_outside")
                        .setType(AttributeProto.AttributeType.INT).setI(1))
                .addAttribute(ints("axes", axes)));
        return out;
    }

    /** The shape of {@code x}, an int64 vector. */
    public String shape(String x) {
        return unary("Shape", x);
    }

    /** Element-wise {@code a > b}, as booleans. */
    public String greater(String a, String b) {
        return node("Greater", a, b);
    }

    /** Element-wise {@code a < b}, as booleans. */
    public String less(String a, String b) {
        return node("Less", a, b);
    }

    /** Element-wise {@code a && b} of booleans. */
    public String and(String a, String b) {
        return node("And", a, b);
    }

    /**
     * The value {@code then} writes where the one-element boolean {@code condition} holds, else the one {@code
     * otherwise} writes; each branch is written into a subgraph of its own (an ONNX {@code If}) and may read any
     * value of this graph. Both must produce a tensor of {@code type}.
     */
    public String ifElse(String condition, TensorProto.DataType type, Function<OnnxOps, String> then,
            Function<OnnxOps, String> otherwise) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("If").setName(out).addInput(condition).addOutput(out)
                .addAttribute(branch("then_branch", out + "/then/", type, then))
                .addAttribute(branch("else_branch", out + "/else/", type, otherwise)));
        return out;
    }

    private AttributeProto branch(String name, String prefix, TensorProto.DataType type,
            Function<OnnxOps, String> writer) {
        GraphProto.Builder branch = GraphProto.newBuilder().setName(prefix);
        OnnxOps ops = new OnnxOps(branch, opset, prefix);
        String result = ops.identity(writer.apply(ops), prefix + "out");
        branch.addOutput(ValueInfoProto.newBuilder().setName(result).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.getNumber()))));
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(branch)
                .build();
    }

    /** {@code x} with its axes in the order {@code perm}. */
    public String transpose(String x, long... perm) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Transpose").setName(out).addInput(x).addOutput(out)
                .addAttribute(ints("perm", perm)));
        return out;
    }

    /** A constant one-channel plane of {@code size}, row-major, shaped [1, 1, H, W] to broadcast over a batch. */
    public String plane(float[] values, Extent size) {
        if (values.length != size.area()) {
            throw new IllegalArgumentException(values.length + " values for a plane of " + size);
        }
        return constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(List.of(1L, 1L, (long) size.height(), (long) size.width()))
                .addAllFloatData(IntStream.range(0, values.length).mapToObj(i -> values[i]).toList()));
    }

    /** A constant of one value per channel, shaped [1, C, 1, 1] to broadcast over an NCHW value. */
    public String perChannel(float... values) {
        List<Float> data = IntStream.range(0, values.length).mapToObj(i -> values[i]).toList();
        return constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(List.of(1L, (long) values.length, 1L, 1L)).addAllFloatData(data));
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

    private String resize(String x, Extent from, Extent to, String coordinates) {
        String scales = constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(4)
                .addAllFloatData(Arrays.asList(1f, 1f, (float) to.height() / from.height(),
                        (float) to.width() / from.width())));
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

    private String blockRearrangement(String op, String x, int block) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(out).addInput(x).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("blocksize").setType(AttributeProto.AttributeType.INT)
                        .setI(block)));
        return out;
    }

    private String unary(String op, String x) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(out).addInput(x).addOutput(out));
        return out;
    }

    /** {@code x} (booleans, integers) as 32-bit floats. */
    public String toFloat(String x) {
        String out = fresh();
        graph.addNode(NodeProto.newBuilder().setOpType("Cast").setName(out).addInput(x).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                        .setI(TensorProto.DataType.FLOAT_VALUE)));
        return out;
    }

    /** A constant int64 vector. */
    public String longs(long... values) {
        return constant(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length)
                .addAllInt64Data(Arrays.stream(values).boxed().toList()));
    }

    private static AttributeProto ints(String name, long... values) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
                .addAllInts(Arrays.stream(values).boxed().toList()).build();
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
