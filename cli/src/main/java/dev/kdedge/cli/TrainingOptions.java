package dev.kdedge.cli;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by the commands that fit a product. */
final class TrainingOptions {
    @Option(names = "--method", defaultValue = "stfpm", description = "Distillation method (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--epochs", description = "Training epochs (default: the method's official count).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Batch size (default: the method's official size).")
    Integer batchSize;

    @Option(names = "--localization",
            description = "How a method that localizes by gradients does it (mkd: guided, the default, or vanilla).")
    String localization;

    @Option(names = "--learning-rate", description = "Learning rate (default: the method's official rate).")
    Float learningRate;

    @Option(names = "--input-size", defaultValue = "256", description = "Model input side in pixels (default: ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--holdout-fraction", defaultValue = "0.2",
            description = "Share of normal images held out to fit the threshold (default: ${DEFAULT-VALUE}; 0 fits it on the training images).")
    double holdoutFraction;

    @Option(names = "--target-frr", defaultValue = "0.005",
            description = "Target false-reject rate on good parts (default: ${DEFAULT-VALUE}).")
    double targetFalseRejectRate;

    @Option(names = "--target-synthetic-recall",
            description = "Instead of --target-frr: the threshold catches this share (0.5..0.999) of synthetic "
                    + "defects painted on the held-out normals; the fit reports the false rejects it costs.")
    Double targetSyntheticRecall;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for initialization and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "2", description = "Inference threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-activate", description = "Publish the new version without making it the serving one.")
    boolean noActivate;

    FitRequest request(String product, Path teacher, List<Path> images) {
        DistillationMethod m = Methods.named(method);
        if (localization != null) {
            m = m.localizing(localization);
        }
        TrainingRecipe recipe = m.recipe();
        if (learningRate != null) {
            recipe = recipe.withLearningRate(learningRate);
        }
        if (batchSize != null) {
            recipe = recipe.withBatchSize(batchSize);
        }
        TrainingSettings settings = new TrainingSettings(recipe, epochs != null ? epochs : recipe.defaultEpochs(), seed);
        return FitRequest.fromScratch(product, teacher, images, m, m.preprocessing(inputSize), settings,
                holdoutFraction, targetSyntheticRecall != null
                        ? ThresholdPolicy.targetSyntheticRecall(targetSyntheticRecall)
                        : ThresholdPolicy.targetFalseRejectRate(targetFalseRejectRate), !noActivate);
    }

    InferenceOptions inference() {
        return InferenceOptions.cpu(threads);
    }
}
