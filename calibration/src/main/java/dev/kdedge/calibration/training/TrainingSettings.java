package dev.kdedge.calibration.training;

import dev.kdedge.calibration.method.TrainingRecipe;

/** One training run: the method's recipe (possibly overridden), how many epochs, and the shuffling seed. */
public record TrainingSettings(TrainingRecipe recipe, int epochs, long seed) {
    public TrainingSettings {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, was " + epochs);
        }
        if (recipe.batchSize() < 2) {
            throw new IllegalArgumentException("batch size must be at least 2 (batch normalization), was "
                    + recipe.batchSize());
        }
    }
}
