package dev.kdedge.calibration.precision;

import dev.kdedge.calibration.text.Labels;

/**
 * How a QDQ graph writes activations and biases as integers. A runtime turns QuantizeLinear/DequantizeLinear pairs
 * into integer kernels only in the form it knows, so each runtime gets a graph of its own; weights are the same in
 * both, symmetric int8 per output channel.
 */
public enum QdqScheme {
    /**
     * What ONNX Runtime's CPU kernels fuse (its own quantizer's default): activations uint8 with a zero point, so a
     * ReLU's [0, max] uses all 256 steps; biases int32 at the input's scale times the weight's, without which the
     * convolution is not fused into an integer one.
     */
    ONNX_RUNTIME("onnxruntime"),
    /**
     * TensorRT's explicit quantization: activations int8 with zero point 0 (its parser refuses any other), so a
     * ReLU's output gets 128 steps; biases float (its DequantizeLinear reads no int32; it folds biases into its
     * integer convolution itself).
     */
    TENSORRT("tensorrt");

    private final String label;

    QdqScheme(String label) {
        this.label = label;
    }

    /** As the CLI and the manifest spell it. */
    public String label() {
        return label;
    }

    /** @throws IllegalArgumentException naming the schemes there are */
    public static QdqScheme of(String label) {
        return Labels.parse(QdqScheme.class, label, "int8 variant", QdqScheme::label);
    }
}
