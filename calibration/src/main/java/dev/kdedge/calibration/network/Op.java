package dev.kdedge.calibration.network;

import java.util.List;
import java.util.Map;

/** One operation of a {@link NetworkGraph}: the handful a ResNet-style student or teacher needs. */
public sealed interface Op permits Op.Conv, Op.BatchNorm, Op.Relu, Op.Add, Op.MaxPool {

    /** 2-D convolution without bias, square kernel, stride and padding. Weight layout OIHW. */
    record Conv(int inChannels, int outChannels, int kernel, int stride, int padding) implements Op {
        public int outputSize(int inputSize) {
            return (inputSize + 2 * padding - kernel) / stride + 1;
        }
    }

    /** Batch normalization over channels with PyTorch's defaults (eps 1e-5, momentum 0.1). */
    record BatchNorm(int channels) implements Op {
        public static final float EPSILON = 1e-5f;
        /**
         * DJL's parameter names and the ONNX/PyTorch names of the same tensors, in BatchNormalization's input
         * order after X: scale, bias, mean, variance.
         */
        public static final List<Map.Entry<String, String>> PARAMETERS = List.of(
                Map.entry("gamma", "weight"), Map.entry("beta", "bias"),
                Map.entry("runningMean", "running_mean"), Map.entry("runningVar", "running_var"));
    }

    record Relu() implements Op {}

    /** Element-wise sum of the node's two inputs (a residual connection). */
    record Add() implements Op {}

    /** Max pooling; padding counts as negative infinity, as in PyTorch and ONNX. */
    record MaxPool(int kernel, int stride, int padding) implements Op {
        public int outputSize(int inputSize) {
            return (inputSize + 2 * padding - kernel) / stride + 1;
        }
    }
}
