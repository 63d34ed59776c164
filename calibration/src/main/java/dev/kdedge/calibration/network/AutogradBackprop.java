package dev.kdedge.calibration.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.engine.PyTorchEngine;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient of a loss of a student's taps with respect to its input image, by PyTorch's autograd (DJL's PyTorch
 * engine) on the student's weights in eval mode: the reference {@link OnnxBackprop}'s served gradient is held to.
 * Autograd runs node by node, each node's vector-Jacobian product from its own backward, so guided backpropagation
 * can clamp the gradient at each ReLU exactly where the official code's backward hook does.
 */
public final class AutogradBackprop implements AutoCloseable {
    private final NDManager manager;
    private final GraphBlock block;
    private final ParameterStore parameters;

    /** A student of {@code graph} with the given weights ({@link OnnxWeights#read}), for images of {@code size}. */
    public AutogradBackprop(NetworkGraph graph, Map<String, OnnxWeights.Tensor> weights, Extent size) {
        if (graph.inputs().size() != 1 || !graph.inputs().get(0).name().equals(NetworkGraph.INPUT)) {
            throw new IllegalArgumentException("an input gradient needs a student that reads the image alone");
        }
        manager = PyTorchEngine.get().newBaseManager();
        try {
            block = new GraphBlock(graph);
            block.setInitializer(GraphBlock.kaimingNormalFanOut(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, graph.inputs().get(0).channels(), size.height(),
                    size.width()));
            block.loadWeights(weights);
            parameters = new ParameterStore(manager, false);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * d loss / d image for one image ([1, C, H, W]), the loss evaluated with the teacher's taps as labels (constants)
     * and the student's as predictions.
     *
     * @param guided clamp negative gradients at every ReLU (guided backpropagation)
     */
    public FloatTensor inputGradient(FloatTensor image, List<FloatTensor> teacherTaps, Loss loss, boolean guided) {
        return inputGradient(image, Map.of(), teacherTaps, loss, guided);
    }

    /**
     * As {@link #inputGradient(FloatTensor, List, Loss, boolean)}, at the forward values another engine computed
     * ({@code forward}, by node name; nodes it leaves out are computed here): the backward pass then takes that
     * engine's decisions at every ReLU and max-pool, so the two backward passes can be compared value for value.
     */
    public FloatTensor inputGradient(FloatTensor image, Map<String, FloatTensor> forward,
            List<FloatTensor> teacherTaps, Loss loss, boolean guided) {
        NetworkGraph graph = block.graph();
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> values = block.values(parameters,
                    new NDList(scope.create(image.data(), new Shape(image.shape()))), false);
            forward.forEach((name, value) -> values.put(name, scope.create(value.data(), new Shape(value.shape()))));
            NDList teacher = new NDList();
            for (FloatTensor tap : teacherTaps) {
                teacher.add(scope.create(tap.data(), new Shape(tap.shape())));
            }
            NDList taps = new NDList();
            for (String output : graph.outputs()) {
                taps.add(leaf(values.get(output)));
            }
            Map<String, NDArray> gradients = new HashMap<>();
            try (GradientCollector collector = newCollector()) {
                collector.backward(loss.evaluate(teacher, taps));
                for (int i = 0; i < taps.size(); i++) {
                    gradients.merge(graph.outputs().get(i), taps.get(i).getGradient().duplicate(), NDArray::add);
                }
            }
            List<Node> nodes = graph.nodes();
            for (int n = nodes.size() - 1; n >= 0; n--) {
                Node node = nodes.get(n);
                NDArray gradient = gradients.get(node.name());
                if (gradient == null) {
                    continue;
                }
                Map<String, NDArray> inputs = new HashMap<>();
                for (String input : node.inputs()) {
                    inputs.put(input, leaf(values.get(input)));
                }
                try (GradientCollector collector = newCollector()) {
                    collector.backward(block.apply(parameters, node, inputs, false).mul(gradient).sum());
                    for (String input : node.inputs()) {
                        NDArray toInput = inputs.get(input).getGradient().duplicate();
                        if (guided && node.op() instanceof Op.Relu) {
                            toInput = toInput.maximum(0f);
                        }
                        gradients.merge(input, toInput, NDArray::add);
                    }
                }
            }
            NDArray input = gradients.get(NetworkGraph.INPUT);
            return new FloatTensor(1, image.channels(), image.height(), image.width(), input.toFloatArray());
        }
    }

    /** A copy of a value that autograd differentiates with respect to, detached from how it was computed. */
    private static NDArray leaf(NDArray value) {
        NDArray leaf = value.stopGradient();
        leaf.setRequiresGradient(true);
        return leaf;
    }

    private static GradientCollector newCollector() {
        return PyTorchEngine.get().newGradientCollector();
    }

    @Override
    public void close() {
        manager.close();
    }
}
