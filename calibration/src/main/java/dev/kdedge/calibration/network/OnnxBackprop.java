package dev.kdedge.calibration.network;

import dev.kdedge.calibration.tensor.Extent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the backward pass of a served student as ordinary forward ONNX operators: given the gradient of a loss with
 * respect to some of the student's values (its taps), the gradient with respect to its input image. Each op's
 * gradient is the op's adjoint in eval mode: a convolution's is the transposed convolution with the same weight,
 * BatchNorm's a per-channel scale gamma / sqrt(var + eps), ReLU's a mask of where its output is positive, a max-pool's
 * the gradient repeated over each window times a mask of the first position that holds the window's maximum, an
 * addition's the same gradient to both inputs. Gradients reaching one value from several consumers are added, as
 * autograd does.
 *
 * <p>Guided backpropagation (Springenberg et al.; MKD's default localization) additionally clamps the gradient at 0
 * at every ReLU, as the official code's ReLU backward hook does.
 */
public final class OnnxBackprop {
    private final OnnxOps ops;
    private final ServedStudent student;
    private final Map<String, Extent> sizes;
    private final boolean guided;

    /**
     * @param inputSize the size of the input image the graph is served at
     * @param guided clamp negative gradients at every ReLU (guided backpropagation) rather than pass them (vanilla)
     */
    public OnnxBackprop(OnnxOps ops, ServedStudent student, Extent inputSize, boolean guided) {
        if (!student.graph().inputs().stream().map(NetworkGraph.Input::name).toList()
                .equals(List.of(NetworkGraph.INPUT))) {
            throw new IllegalArgumentException("an input gradient needs a student that reads the image alone");
        }
        this.ops = ops;
        this.student = student;
        this.sizes = student.graph().spatialSizes(inputSize);
        this.guided = guided;
    }

    /**
     * The gradient with respect to the input image ([N, C, H, W]) of a loss whose gradient with respect to the
     * student's values {@code seeds} maps (by the student graph's names) is given (served names).
     */
    public String inputGradient(Map<String, String> seeds) {
        Map<String, String> gradients = new HashMap<>(seeds);
        List<Node> nodes = student.graph().nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            String gradient = gradients.get(node.name());
            if (gradient != null) {
                backward(node, gradient, gradients);
            }
        }
        String input = gradients.get(NetworkGraph.INPUT);
        if (input == null) {
            throw new IllegalArgumentException("no seeded value depends on the input");
        }
        return input;
    }

    private void backward(Node node, String gradient, Map<String, String> gradients) {
        String x = node.inputs().get(0);
        String output = student.value(node.name());
        node.op().accept(new Op.Visitor<Void>() {
            @Override
            public Void conv(Op.Conv conv) {
                Extent in = sizes.get(x);
                Extent out = sizes.get(node.name());
                flow(gradients, x, ops.convTranspose(gradient, student.parameter(node.name(), "weight"), conv.kernel(),
                        conv.stride(), conv.padding(), restored(conv, in.height(), out.height()),
                        restored(conv, in.width(), out.width())));
                return null;
            }

            @Override
            public Void batchNorm(Op.BatchNorm batchNorm) {
                String scale = ops.div(student.parameter(node.name(), "weight"),
                        ops.sqrt(ops.addScalar(student.parameter(node.name(), "running_var"),
                                Op.BatchNorm.EPSILON)));
                flow(gradients, x, ops.mul(gradient, ops.reshape(scale, 1, -1, 1, 1)));
                return null;
            }

            @Override
            public Void relu(Op.Relu relu) {
                flow(gradients, x, ops.mul(guided ? ops.relu(gradient) : gradient, ops.positiveMask(output)));
                return null;
            }

            @Override
            public Void maxPool(Op.MaxPool pool) {
                Extent pooled = sizes.get(node.name());
                if (pool.kernel() != pool.stride() || pool.padding() != 0
                        || !sizes.get(x).equals(new Extent(pooled.width() * pool.kernel(),
                                pooled.height() * pool.kernel()))) {
                    throw unsupported("a max-pool whose windows do not tile its input exactly");
                }
                String winners = firstInEachWindow(ops.equalMask(student.value(x),
                        ops.repeatPixels(output, pool.kernel())), pool.kernel(), x, pooled);
                flow(gradients, x, ops.mul(ops.repeatPixels(gradient, pool.kernel()), winners));
                return null;
            }

            @Override
            public Void add(Op.Add add) {
                flow(gradients, x, gradient);
                flow(gradients, node.inputs().get(1), gradient);
                return null;
            }

            @Override
            public Void convTranspose(Op.ConvTranspose convTranspose) {
                throw unsupported("a transposed convolution");
            }

            @Override
            public Void concat(Op.Concat concat) {
                throw unsupported("a concatenation");
            }

            private IllegalArgumentException unsupported(String what) {
                return new IllegalArgumentException("node " + node.name() + ": the gradient writer does not support "
                        + what + " (no gradient-localizing student uses one)");
            }
        });
    }

    /**
     * Of a mask of the positions that equal their window's maximum, only the first in each k x k window in row-major
     * order: the one PyTorch's max-pool routes the gradient to when several tie (flat image regions tie exactly).
     * The windows become a block axis (SpaceToDepth), a running sum along it keeps the first 1, DepthToSpace puts
     * them back.
     */
    private String firstInEachWindow(String maxima, int k, String value, Extent pooled) {
        int channels = student.graph().channels().get(value);
        String blocks = ops.reshape(ops.spaceToDepth(maxima, k), 0, (long) k * k, channels, pooled.height(),
                pooled.width());
        String first = ops.mul(blocks, ops.equalMask(ops.cumSum(blocks, 1), 1f));
        return ops.depthToSpace(ops.reshape(first, 0, (long) k * k * channels, pooled.height(), pooled.width()), k);
    }

    /**
     * The output padding of a convolution's transpose along one axis: the input positions past the last window the
     * convolution read (a stride-2 convolution of an even side drops one), so the gradient has the input's size.
     */
    private static int restored(Op.Conv conv, int input, int output) {
        return input + 2 * conv.padding() - conv.kernel() - (output - 1) * conv.stride();
    }

    /** Adds a gradient reaching {@code value} to what has reached it from its other consumers. */
    private void flow(Map<String, String> gradients, String value, String gradient) {
        gradients.merge(value, gradient, ops::add);
    }
}
