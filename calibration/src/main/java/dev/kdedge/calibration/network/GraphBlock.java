package dev.kdedge.calibration.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DJL block of a {@link NetworkGraph}: one child block per parameterized node (Conv2d, transposed conv, BatchNorm),
 * the other nodes applied as operators. Its forward pass takes the graph's inputs and returns its outputs, each in
 * order. Trains on DJL's PyTorch engine.
 */
public final class GraphBlock extends AbstractBlock {
    private final NetworkGraph graph;
    private final Map<String, Block> layers = new LinkedHashMap<>();

    public GraphBlock(NetworkGraph graph) {
        this.graph = graph;
        for (Node node : graph.nodes()) {
            if (!node.op().parameters().isEmpty()) {
                layers.put(node.name(), addChildBlock(node.name().replace('.', '_'), node.op().accept(LAYERS)));
            }
        }
    }

    /** The DJL layer that holds a parameterized op's tensors and applies it. */
    private static final Op.Visitor<Block> LAYERS = new Op.Visitor<>() {
        @Override
        public Block conv(Op.Conv conv) {
            return Conv2d.builder()
                    .setKernelShape(new Shape(conv.kernel(), conv.kernel()))
                    .optStride(new Shape(conv.stride(), conv.stride()))
                    .optPadding(new Shape(conv.padding(), conv.padding()))
                    .setFilters(conv.outChannels())
                    .optBias(false)
                    .build();
        }

        @Override
        public Block convTranspose(Op.ConvTranspose convTranspose) {
            return new BlockwiseConvTranspose(convTranspose);
        }

        @Override
        public Block batchNorm(Op.BatchNorm batchNorm) {
            // DJL's momentum is the weight of the running value: 0.9 here is PyTorch's momentum 0.1.
            return BatchNorm.builder().optEpsilon(Op.BatchNorm.EPSILON).optMomentum(0.9f).build();
        }

        @Override
        public Block relu(Op.Relu relu) {
            throw new IllegalArgumentException("Relu has no parameters");
        }

        @Override
        public Block add(Op.Add add) {
            throw new IllegalArgumentException("Add has no parameters");
        }

        @Override
        public Block concat(Op.Concat concat) {
            throw new IllegalArgumentException("Concat has no parameters");
        }

        @Override
        public Block maxPool(Op.MaxPool maxPool) {
            throw new IllegalArgumentException("MaxPool has no parameters");
        }
    };

    /** Kaiming-normal (fan_out, ReLU gain) for conv weights, as torchvision's ResNet initializes them. */
    public static XavierInitializer kaimingNormalFanOut() {
        return new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.OUT, 2);
    }

    public NetworkGraph graph() {
        return graph;
    }

    /** The parameter {@code name} (Conv2d: weight; BatchNorm: gamma, beta, runningMean, runningVar) of a node. */
    public NDArray parameter(String node, String name) {
        Block layer = layers.get(node);
        if (layer == null) {
            throw new IllegalArgumentException("Node has no parameters: " + node);
        }
        Parameter parameter = layer.getParameters().get(name);
        if (parameter == null) {
            throw new IllegalArgumentException("Node " + node + " has no parameter " + name);
        }
        return parameter.getArray();
    }

    /**
     * Overwrites this initialized block's parameters with those an ONNX file of the same graph holds (as {@link
     * OnnxExporter} names them), so training continues from an exported student.
     *
     * @throws IllegalArgumentException when a parameter is missing or has another shape
     */
    public void loadWeights(Map<String, OnnxWeights.Tensor> weights) {
        for (Node node : graph.nodes()) {
            for (var p : node.op().parameters()) {
                load(weights, node.name(), p.getKey(), p.getValue());
            }
        }
    }

    private void load(Map<String, OnnxWeights.Tensor> weights, String node, String djlName, String onnxName) {
        String name = OnnxExporter.parameterName(node, onnxName);
        OnnxWeights.Tensor tensor = weights.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("the weights have no " + name);
        }
        NDArray target = parameter(node, djlName);
        if (!target.getShape().equals(new Shape(tensor.dims()))) {
            throw new IllegalArgumentException(name + " has shape " + new Shape(tensor.dims()) + ", the network "
                    + target.getShape());
        }
        target.set(FloatBuffer.wrap(tensor.values()));
    }

    /**
     * A copy of this initialized block on {@code manager} with every parameter (BatchNorm running statistics too)
     * converted to {@code dataType}.
     */
    public GraphBlock copy(NDManager manager, DataType dataType, Shape... inputShapes) {
        GraphBlock copy = new GraphBlock(graph);
        copy.setInitializer(kaimingNormalFanOut(), Parameter.Type.WEIGHT);
        copy.initialize(manager, dataType, inputShapes);
        for (Map.Entry<String, Block> layer : layers.entrySet()) {
            Block target = copy.layers.get(layer.getKey());
            for (var parameter : layer.getValue().getParameters()) {
                NDArray converted = parameter.getValue().getArray().toType(dataType, true);
                converted.copyTo(target.getParameters().get(parameter.getKey()).getArray());
                converted.close();
            }
        }
        return copy;
    }

    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        Map<String, NDArray> values = values(parameterStore, inputs, training);
        NDList outputs = new NDList();
        for (String output : graph.outputs()) {
            outputs.add(values.get(output));
        }
        return outputs;
    }

    /** Every value of the graph (its inputs, each node's output) for {@code inputs}, by name. */
    public Map<String, NDArray> values(ParameterStore parameterStore, NDList inputs, boolean training) {
        if (inputs.size() != graph.inputs().size()) {
            throw new IllegalArgumentException("the graph takes " + graph.inputs().size() + " inputs, got "
                    + inputs.size());
        }
        Map<String, NDArray> values = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            values.put(graph.inputs().get(i).name(), inputs.get(i));
        }
        for (Node node : graph.nodes()) {
            values.put(node.name(), apply(parameterStore, node, values, training));
        }
        return values;
    }

    /** One node of the graph applied to the values of its inputs, which {@code values} holds by name. */
    public NDArray apply(ParameterStore parameterStore, Node node, Map<String, NDArray> values, boolean training) {
        NDArray x = values.get(node.inputs().get(0));
        return node.op().accept(new Op.Visitor<>() {
            @Override
            public NDArray conv(Op.Conv conv) {
                return layer();
            }

            @Override
            public NDArray convTranspose(Op.ConvTranspose convTranspose) {
                return layer();
            }

            @Override
            public NDArray batchNorm(Op.BatchNorm batchNorm) {
                return layer();
            }

            @Override
            public NDArray relu(Op.Relu relu) {
                return Activation.relu(x);
            }

            @Override
            public NDArray add(Op.Add add) {
                return x.add(values.get(node.inputs().get(1)));
            }

            @Override
            public NDArray concat(Op.Concat concat) {
                return NDArrays.concat(new NDList(node.inputs().stream().map(values::get).toList()), 1);
            }

            @Override
            public NDArray maxPool(Op.MaxPool pool) {
                return Pool.maxPool2d(x, new Shape(pool.kernel(), pool.kernel()),
                        new Shape(pool.stride(), pool.stride()), new Shape(pool.padding(), pool.padding()), false);
            }

            private NDArray layer() {
                return layers.get(node.name()).forward(parameterStore, new NDList(x), training).singletonOrThrow();
            }
        });
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Map<String, Shape> shapes = propagateShapes(inputShapes);
        return graph.outputs().stream().map(shapes::get).toArray(Shape[]::new);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Map<String, Shape> shapes = propagateShapes(inputShapes);
        for (Node node : graph.nodes()) {
            Block layer = layers.get(node.name());
            if (layer != null) {
                layer.initialize(manager, dataType, shapes.get(node.inputs().get(0)));
            }
        }
    }

    private Map<String, Shape> propagateShapes(Shape[] inputs) {
        Map<String, Shape> shapes = new HashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            shapes.put(graph.inputs().get(i).name(), inputs[i]);
        }
        for (Node node : graph.nodes()) {
            Shape in = shapes.get(node.inputs().get(0));
            Op op = node.op();
            List<Integer> inputChannels = node.inputs().stream().map(v -> (int) shapes.get(v).get(1)).toList();
            Shape out = new Shape(in.get(0), op.outputChannels(inputChannels), op.outputSize((int) in.get(2)),
                    op.outputSize((int) in.get(3)));
            shapes.put(node.name(), out);
        }
        return shapes;
    }
}
