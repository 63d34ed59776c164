package dev.kdedge.calibration.network;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@link Op.ConvTranspose} for DJL's PyTorch engine, which does not implement DJL's transposed convolution. With the
 * kernel equal to the stride every input position writes its own k x k output block, so the op is a 1x1 convolution to
 * out * k * k channels followed by a depth-to-space rearrangement, both differentiable. The weight keeps PyTorch's
 * {@code ConvTranspose2d} layout [in, out, k, k], so it exports to ONNX's ConvTranspose unchanged.
 */
final class BlockwiseConvTranspose extends AbstractBlock {
    private final Op.ConvTranspose op;
    private final Parameter weight;

    BlockwiseConvTranspose(Op.ConvTranspose op) {
        this.op = op;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(op.inChannels(), op.outChannels(), op.kernel(), op.kernel())).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        int k = op.kernel();
        int out = op.outChannels();
        long n = x.getShape().get(0);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray kernel = parameterStore.getValue(weight, x.getDevice(), training);
        // [in, out, k, k] -> [out, k, k, in] -> 1x1 filters producing channel (o, a, b) of output block position (a, b).
        NDArray filters = kernel.transpose(1, 2, 3, 0).reshape(out * k * k, op.inChannels(), 1, 1);
        NDArray blocks = Conv2d.conv2d(x, filters).singletonOrThrow();
        NDArray output = blocks.reshape(n, out, k, k, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, out, h * k, w * k);
        return new NDList(output);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), op.outChannels(), in.get(2) * op.kernel(), in.get(3) * op.kernel())};
    }
}
