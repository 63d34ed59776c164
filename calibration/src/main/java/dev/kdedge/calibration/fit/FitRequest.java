package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * What to fit: a product's normal images, the teacher, the method and how to train it, and how to set the threshold.
 *
 * @param holdoutFraction share of the images kept out of training to fit the threshold on; 0 fits the threshold on
 *     the training images themselves (recorded as such in the manifest)
 */
public record FitRequest(String product, Path teacherOnnx, List<Path> images, DistillationMethod method,
        Preprocessing preprocessing, TrainingSettings training, double holdoutFraction, double targetFalseRejectRate,
        boolean activate) {
    public FitRequest {
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("hold-out fraction must be in [0, 1), was " + holdoutFraction);
        }
        images = List.copyOf(images);
    }
}
