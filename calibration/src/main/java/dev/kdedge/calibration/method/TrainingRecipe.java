package dev.kdedge.calibration.method;

/**
 * A method's official optimizer settings. {@code optimizer} is "sgd" (with momentum and weight decay) or "adam"
 * (with {@code beta1}, {@code beta2}).
 */
public record TrainingRecipe(String optimizer, float learningRate, float momentum, float weightDecay, float beta1,
        float beta2, int batchSize, int defaultEpochs) {

    public static TrainingRecipe sgd(float lr, float momentum, float weightDecay, int batchSize, int epochs) {
        return new TrainingRecipe("sgd", lr, momentum, weightDecay, 0, 0, batchSize, epochs);
    }

    public TrainingRecipe withLearningRate(float lr) {
        return new TrainingRecipe(optimizer, lr, momentum, weightDecay, beta1, beta2, batchSize, defaultEpochs);
    }

    public TrainingRecipe withBatchSize(int size) {
        return new TrainingRecipe(optimizer, learningRate, momentum, weightDecay, beta1, beta2, size, defaultEpochs);
    }
}
