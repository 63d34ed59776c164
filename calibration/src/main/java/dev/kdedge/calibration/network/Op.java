package dev.kdedge.calibration.network;

import java.util.List;
import java.util.Map;

/**
 * One operation of a {@link NetworkGraph}: the handful ResNet-style encoders and their mirrored decoders need. What every backend
 * must know about an op (its output's shape, its trained tensors) is a method here; what a backend does with it is
 * its {@link Visitor}, so an op added here is a compile error in every backend until each handles it.
 */
public sealed interface Op permits Op.Conv, Op.ConvTranspose, Op.BatchNorm, Op.Relu, Op.Add, Op.Concat, Op.MaxPool {

    /** One case per op; each backend (DJL layers, DJL forward pass, ONNX writer) implements it once. */
    interface Visitor<R> {
        R conv(Conv conv);

        R convTranspose(ConvTranspose convTranspose);

        R batchNorm(BatchNorm batchNorm);

        R relu(Relu relu);

        R add(Add add);

        R concat(Concat concat);

        R maxPool(MaxPool maxPool);
    }

    <R> R accept(Visitor<R> visitor);

    /** Channels of the output for inputs with {@code inputChannels}, in the node's input order. */
    default int outputChannels(List<Integer> inputChannels) {
        return inputChannels.get(0);
    }

    /** Height (or width) of the output for a (first) input side of {@code inputSize}. */
    default int outputSize(int inputSize) {
        return inputSize;
    }

    /**
     * The trained tensors of a node with this op: each DJL parameter name with the ONNX/PyTorch name of the same
     * tensor, in the ONNX operator's input order after X. Empty for ops without parameters.
     */
    default List<Map.Entry<String, String>> parameters() {
        return List.of();
    }

    /** 2-D convolution without bias, square kernel, stride and padding. Weight layout OIHW. */
    record Conv(int inChannels, int outChannels, int kernel, int stride, int padding) implements Op {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.conv(this);
        }

        @Override
        public int outputChannels(List<Integer> inputChannels) {
            return outChannels;
        }

        @Override
        public int outputSize(int inputSize) {
            return (inputSize + 2 * padding - kernel) / stride + 1;
        }

        @Override
        public List<Map.Entry<String, String>> parameters() {
            return List.of(Map.entry("weight", "weight"));
        }
    }

    /**
     * Transposed 2-D convolution without bias whose kernel equals its stride (PyTorch's {@code ConvTranspose2d(k, s=k,
     * bias=False)}): each input position writes its own k x k block of the output, multiplying the side by k. The
     * decoders only need k = 2. Weight layout as PyTorch and ONNX hold it: [in, out, k, k].
     */
    record ConvTranspose(int inChannels, int outChannels, int kernel) implements Op {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.convTranspose(this);
        }

        @Override
        public int outputChannels(List<Integer> inputChannels) {
            return outChannels;
        }

        @Override
        public int outputSize(int inputSize) {
            return inputSize * kernel;
        }

        @Override
        public List<Map.Entry<String, String>> parameters() {
            return List.of(Map.entry("weight", "weight"));
        }
    }

    /** Batch normalization over channels with PyTorch's defaults (eps 1e-5, momentum 0.1). */
    record BatchNorm(int channels) implements Op {
        public static final float EPSILON = 1e-5f;

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.batchNorm(this);
        }

        /** ONNX BatchNormalization's inputs after X: scale, bias, mean, variance. */
        @Override
        public List<Map.Entry<String, String>> parameters() {
            return List.of(Map.entry("gamma", "weight"), Map.entry("beta", "bias"),
                    Map.entry("runningMean", "running_mean"), Map.entry("runningVar", "running_var"));
        }
    }

    record Relu() implements Op {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.relu(this);
        }
    }

    /** Element-wise sum of the node's two inputs (a residual connection). */
    record Add() implements Op {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.add(this);
        }
    }

    /** The node's inputs stacked along channels, in input order; all have the same side. */
    record Concat() implements Op {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.concat(this);
        }

        @Override
        public int outputChannels(List<Integer> inputChannels) {
            return inputChannels.stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** Max pooling; padding counts as negative infinity, as in PyTorch and ONNX. */
    record MaxPool(int kernel, int stride, int padding) implements Op {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.maxPool(this);
        }

        @Override
        public int outputSize(int inputSize) {
            return (inputSize + 2 * padding - kernel) / stride + 1;
        }
    }
}
