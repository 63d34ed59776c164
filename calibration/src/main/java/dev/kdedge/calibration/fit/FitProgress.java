package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.training.TrainingProgress;

/**
 * Progress of a whole fit: loading images, training (via {@link TrainingProgress}), export and parity check,
 * threshold. Any callback may throw to abandon the fit (a cancelled job does); nothing is written then.
 */
public interface FitProgress extends TrainingProgress {
    FitProgress NONE = new FitProgress() {};

    default void imageLoaded(int done, int total) {}

    default void stage(String description) {}

    default void parityChecked(double maxAbsDifference, double bound) {}

    default void thresholdProposed(Manifest.Threshold threshold) {}

    /** The INT8 variant in {@code scheme}'s form: published, or why not. */
    default void quantized(QdqScheme scheme, Manifest.Int8 int8) {}

    /** {@link MethodChooser} starts the short fit of the {@code index}-th of {@code count} methods. */
    default void candidateStarted(String method, int index, int count, int epochs) {}

    default void methodChosen(Manifest.MethodChoice choice) {}
}
