package dev.kdedge.calibration.precision;

import dev.kdedge.calibration.text.Labels;

/** The arithmetic a product version's served graph runs in. */
public enum Precision {
    /** The served graph as fitted. */
    FP32,
    /** Teacher and student quantized to 8-bit integers (QDQ), the anomaly map in float: a graph of its own. */
    INT8,
    /** The fp32 graph built by TensorRT in half precision: {@link ExecutionProvider#TENSORRT} only. */
    FP16;

    /** As configuration, the CLI and the API spell it: {@code fp32}, {@code int8}, {@code fp16}. */
    public String label() {
        return Labels.of(this);
    }

    /** Whether the version's bundle holds a graph of its own for this precision (else it runs the fp32 graph). */
    public boolean hasOwnGraph() {
        return this == INT8;
    }

    /** @throws IllegalArgumentException naming the precisions there are */
    public static Precision of(String label) {
        return Labels.parse(Precision.class, label, "precision");
    }
}
