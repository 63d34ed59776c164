package dev.kdedge.calibration.method;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * A method's official optimizer settings: SGD uses {@code momentum} and {@code weightDecay}; Adam uses {@code beta1},
 * {@code beta2} and {@code weightDecay}.
 */
public record TrainingRecipe(Optimizer optimizer, float learningRate, float momentum, float weightDecay, float beta1,
        float beta2, int batchSize, int defaultEpochs) {

    /** The optimizer algorithms a recipe can name; written into manifests as "sgd" and "adam". */
    public enum Optimizer {
        SGD, ADAM;

        @JsonValue
        String json() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        static Optimizer fromJson(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    public static TrainingRecipe sgd(float lr, float momentum, float weightDecay, int batchSize, int epochs) {
        return new TrainingRecipe(Optimizer.SGD, lr, momentum, weightDecay, 0, 0, batchSize, epochs);
    }

    public static TrainingRecipe adam(float lr, float beta1, float beta2, int batchSize, int epochs) {
        return new TrainingRecipe(Optimizer.ADAM, lr, 0, 0, beta1, beta2, batchSize, epochs);
    }

    public TrainingRecipe withLearningRate(float lr) {
        return new TrainingRecipe(optimizer, lr, momentum, weightDecay, beta1, beta2, batchSize, defaultEpochs);
    }

    public TrainingRecipe withBatchSize(int size) {
        return new TrainingRecipe(optimizer, learningRate, momentum, weightDecay, beta1, beta2, size, defaultEpochs);
    }
}
