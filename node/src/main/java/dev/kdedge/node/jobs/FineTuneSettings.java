package dev.kdedge.node.jobs;

import dev.kdedge.calibration.store.ModelStore;

/**
 * What a fine-tune is asked to do, defaults applied and bounds checked.
 *
 * @param learningRate 0 for the method's recipe (from scratch) or a tenth of it (from the active student)
 */
public record FineTuneSettings(String product, boolean fromScratch, int epochs, double holdoutFraction,
        double learningRate) {
    public static final int DEFAULT_EPOCHS = 10;
    public static final int MAX_EPOCHS = 200;
    public static final double DEFAULT_HOLDOUT = 0.2;

    /**
     * A fine-tune as requested, 0 meaning the default for epochs, holdout fraction and learning rate.
     *
     * @throws IllegalArgumentException naming the setting out of bounds and its value
     */
    public static FineTuneSettings requested(String product, boolean fromScratch, long epochs, double holdoutFraction,
            double learningRate) {
        ModelStore.requireValidProductId(product);
        long epochsOrDefault = epochs == 0 ? DEFAULT_EPOCHS : epochs;
        double holdoutOrDefault = holdoutFraction == 0 ? DEFAULT_HOLDOUT : holdoutFraction;
        if (epochsOrDefault < 1 || epochsOrDefault > MAX_EPOCHS) {
            throw new IllegalArgumentException("epochs must be 1.." + MAX_EPOCHS + ", was " + epochs);
        }
        if (!(holdoutOrDefault >= 0.05 && holdoutOrDefault <= 0.5)) {
            throw new IllegalArgumentException("holdout_fraction must be 0.05..0.5, was " + holdoutFraction);
        }
        if (learningRate != 0 && !(learningRate >= 1e-6 && learningRate <= 1)) {
            throw new IllegalArgumentException("learning_rate must be 1e-6..1, was " + learningRate);
        }
        return new FineTuneSettings(product, fromScratch, (int) epochsOrDefault, holdoutOrDefault, learningRate);
    }
}
