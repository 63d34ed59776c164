package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.training.TrainingProgress;

/** Progress of a whole fit: loading images, training (via {@link TrainingProgress}), calibrating, writing. */
public interface FitProgress extends TrainingProgress {
    FitProgress NONE = new FitProgress() {};

    default void imageLoaded(int done, int total) {}

    default void stage(String description) {}
}
