package dev.kdedge.calibration.method;

import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.tensor.FloatTensor;

/**
 * The gradient, with respect to one image, of a loss of the student's taps against the teacher's, taken through the
 * student only (the teacher's taps are constants): what a method that localizes by gradients computes its reference
 * map from.
 */
@FunctionalInterface
public interface StudentGradient {
    /** Never asked: for methods whose maps compare features only. */
    StudentGradient NONE = (loss, guided) -> {
        throw new UnsupportedOperationException("no student gradient here");
    };

    /**
     * d loss / d image, [1, C, H, W], the loss evaluated with the teacher's taps as labels and the student's as
     * predictions.
     *
     * @param guided clamp negative gradients at every ReLU (guided backpropagation)
     */
    FloatTensor of(Loss loss, boolean guided);
}
