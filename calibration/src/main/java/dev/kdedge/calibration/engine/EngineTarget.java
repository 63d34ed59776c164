package dev.kdedge.calibration.engine;

import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.tensor.Extent;

/**
 * What an accelerator builds a served graph's engine for: the precision it runs in, and its one image input, taken
 * as [1..maxBatch, channels, height, width] ({@link InferenceOptions#maxBatch}). TensorRT builds one engine for that
 * whole range ahead of the first request, instead of a new one whenever a batch of another size arrives.
 */
public record EngineTarget(Precision precision, String input, int channels, Extent size) {
    /** A network loaded for its own sake (a teacher, a student being fitted): fp32, shapes as they come. */
    public static final EngineTarget ANY_FP32 = new EngineTarget(Precision.FP32, null, 0, null);

    public boolean hasShape() {
        return input != null;
    }

    /** The input's shape at {@code batch}, as TensorRT's profile options spell it: {@code image:4x3x224x512}. */
    String profileShape(int batch) {
        return input + ":" + batch + "x" + channels + "x" + size.height() + "x" + size.width();
    }
}
