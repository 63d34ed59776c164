package dev.kdedge.calibration.network;

import ai.djl.ndarray.NDArray;
import com.google.protobuf.ByteString;
import dev.kdedge.onnx.AttributeProto;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.OperatorSetIdProto;
import dev.kdedge.onnx.TensorProto;
import dev.kdedge.onnx.TensorShapeProto;
import dev.kdedge.onnx.TypeProto;
import dev.kdedge.onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes a trained {@link GraphBlock} as an ONNX model (opset 13): the same {@link NetworkGraph} the block was built
 * from, with the block's current weights and BatchNorm running statistics as initializers. Inputs and outputs carry
 * the graph's names, float32 NCHW with dynamic batch, height and width.
 */
public final class OnnxExporter {
    public static final int OPSET = 13;
    private static final int IR_VERSION = 7;

    private OnnxExporter() {}

    public static ModelProto export(GraphBlock block, String graphName) {
        NetworkGraph graph = block.graph();
        GraphProto.Builder g = GraphProto.newBuilder().setName(graphName);
        for (NetworkGraph.Input input : graph.inputs()) {
            g.addInput(featureValue(input.name(), input.channels()));
        }
        var channels = graph.channels();
        for (Node node : graph.nodes()) {
            g.addNode(toOnnx(node, block, g));
        }
        for (String output : graph.outputs()) {
            g.addOutput(featureValue(output, channels.get(output)));
        }
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("kdedge")
                .setGraph(g)
                .build();
    }

    /** The initializer name of a node's trained tensor ("layer1.0.conv1.weight"), as PyTorch names it. */
    public static String parameterName(String node, String onnxName) {
        return node + "." + onnxName;
    }

    private static NodeProto toOnnx(Node node, GraphBlock block, GraphProto.Builder g) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(node.name()).addOutput(node.name());
        node.inputs().forEach(n::addInput);
        for (var p : node.op().parameters()) {
            n.addInput(initializer(g, parameterName(node.name(), p.getValue()),
                    block.parameter(node.name(), p.getKey())));
        }
        node.op().accept(new Op.Visitor<NodeProto.Builder>() {
            @Override
            public NodeProto.Builder conv(Op.Conv conv) {
                return window(n.setOpType("Conv"), conv.kernel(), conv.stride(), conv.padding());
            }

            @Override
            public NodeProto.Builder convTranspose(Op.ConvTranspose convTranspose) {
                int k = convTranspose.kernel();
                return n.setOpType("ConvTranspose").addAttribute(ints("kernel_shape", k, k))
                        .addAttribute(ints("strides", k, k));
            }

            @Override
            public NodeProto.Builder batchNorm(Op.BatchNorm batchNorm) {
                return n.setOpType("BatchNormalization").addAttribute(AttributeProto.newBuilder().setName("epsilon")
                        .setType(AttributeProto.AttributeType.FLOAT).setF(Op.BatchNorm.EPSILON));
            }

            @Override
            public NodeProto.Builder relu(Op.Relu relu) {
                return n.setOpType("Relu");
            }

            @Override
            public NodeProto.Builder add(Op.Add add) {
                return n.setOpType("Add");
            }

            @Override
            public NodeProto.Builder concat(Op.Concat concat) {
                return n.setOpType("Concat").addAttribute(AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(1));
            }

            @Override
            public NodeProto.Builder maxPool(Op.MaxPool pool) {
                return window(n.setOpType("MaxPool"), pool.kernel(), pool.stride(), pool.padding());
            }
        });
        return n.build();
    }

    private static String initializer(GraphProto.Builder g, String name, NDArray array) {
        float[] values = array.toFloatArray();
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(raw.array()));
        for (long d : array.getShape().getShape()) {
            t.addDims(d);
        }
        g.addInitializer(t);
        return name;
    }

    /** A square window's attributes, as Conv and MaxPool take them. */
    private static NodeProto.Builder window(NodeProto.Builder n, int kernel, int stride, int padding) {
        return n.addAttribute(ints("kernel_shape", kernel, kernel)).addAttribute(ints("strides", stride, stride))
                .addAttribute(ints("pads", padding, padding, padding, padding));
    }

    private static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static ValueInfoProto featureValue(String name, int channels) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(channels))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(name + "_height"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(name + "_width"))
                .build();
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
                .build();
    }
}
