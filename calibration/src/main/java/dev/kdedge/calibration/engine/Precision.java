package dev.kdedge.calibration.engine;

import java.util.Arrays;
import java.util.Locale;

/** The arithmetic a product version's served graph runs in: each is a graph of its own in the version's bundle. */
public enum Precision {
    /** The served graph as fitted. */
    FP32,
    /** Teacher and student quantized to 8-bit integers (QDQ), the anomaly map in float. */
    INT8;

    /** As configuration, the CLI and the API spell it: {@code fp32}, {@code int8}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the precisions there are */
    public static Precision of(String label) {
        for (Precision precision : values()) {
            if (precision.label().equals(label)) {
                return precision;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + label + "': expected one of "
                + Arrays.stream(values()).map(Precision::label).toList());
    }
}
