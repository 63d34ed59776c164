package dev.kdedge.calibration.network;

import java.util.List;
import java.util.Map;

/**
 * One operation of a {@link NetworkGraph}: the handful a ResNet-style student or teacher needs. What every backend
 * must know about an op (its output's shape, its trained tensors) is a method here; what a backend does with it is
 * its {@link Visitor}, so an op added here is a compile error in every backend until each handles it.
 */
public sealed interface Op permits Op.Conv, Op.BatchNorm, Op.Relu, Op.Add, Op.MaxPool {

    /** One case per op; each backend (DJL layers, DJL forward pass, ONNX writer) implements it once. */
    interface Visitor<R> {
        R conv(Conv conv);

        R batchNorm(BatchNorm batchNorm);

        R relu(Relu relu);

        R add(Add add);

        R maxPool(MaxPool maxPool);
    }

    <R> R accept(Visitor<R> visitor);

    /** Channels of the output for an input with {@code inputChannels}. */
    default int outputChannels(int inputChannels) {
        return inputChannels;
    }

    /** Height (or width) of the output for an input side of {@code inputSize}. */
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
        public int outputChannels(int inputChannels) {
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
