package dev.kdedge.cli;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.image.Tiling;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by the commands that fit a product. */
final class TrainingOptions {
    static final String AUTO = "auto";

    @Option(names = "--method", defaultValue = "stfpm", description = "Distillation method: stfpm, rd4ad, mkd, or "
            + "auto (fit each briefly, keep the one that best tells synthetic defects from the held-out normals, fit "
            + "it fully; default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--auto-epochs", defaultValue = "3",
            description = "With --method auto: epochs of each method's short fit (default: ${DEFAULT-VALUE}).")
    int autoEpochs;

    @Option(names = "--epochs", description = "Training epochs (default: the method's official count).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Batch size (default: the method's official size).")
    Integer batchSize;

    @Option(names = "--localization",
            description = "How a method that localizes by gradients does it (mkd: guided, the default, or vanilla).")
    String localization;

    @Option(names = "--learning-rate", description = "Learning rate (default: the method's official rate).")
    Float learningRate;

    @Option(names = "--input-size", defaultValue = "256", description = "Model input in pixels: a side (256) or "
            + "width x height for frames that are not square (512x224; multiples of 32 suit every method's networks; "
            + "default: ${DEFAULT-VALUE}). With --tile, the working size each image is resized to before it is cut "
            + "into tiles (up to 1024 a side).")
    Extent inputSize;

    @Option(names = "--tile", paramLabel = "SIZE", description = "Fit and serve the product in tiles of this size (a "
            + "side or width x height): the networks see tiles of the --input-size image rather than the image "
            + "squeezed, and their maps are stitched back into one. For small defects on large frames.")
    Extent tile;

    @Option(names = "--tile-overlap", paramLabel = "PX", description = "With --tile: the pixels neighbouring tiles "
            + "share at least, over which their maps are blended (default: 32, or half the shorter side of smaller "
            + "tiles; 0 lets tiles meet unblended).")
    Integer tileOverlap;

    @Option(names = "--dont-care", paramLabel = "PNG|JSON", description = "The product's don't-care region: a PNG "
            + "drawn on a camera frame, white where nothing may count (a label, a serial number, the conveyor), black "
            + "where the part is inspected; or a .json file of polygons in the frame's pixel coordinates, {\"width\": "
            + "W, \"height\": H, \"polygons\": [[[x, y], ...], ...]}. The anomaly map is zero there before the "
            + "score; every image must have its aspect ratio. Not for mkd, which scores by its detection loss over "
            + "the whole image.")
    Path dontCare;

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

    @Option(names = "--review-synthetic-recall",
            description = "Add a review band below the threshold: parts scoring from the threshold that catches this "
                    + "share (0.5..0.999) of the synthetic defects up to the threshold are NOT_DECIDABLE, for a person "
                    + "to decide.")
    Double reviewSyntheticRecall;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for initialization and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "2", description = "Inference threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-activate", description = "Publish the new version without making it the serving one.")
    boolean noActivate;

    boolean choosesMethod() {
        if (!AUTO.equals(method)) {
            return false;
        }
        String methodSpecific = localization != null ? "--localization" : learningRate != null ? "--learning-rate"
                : batchSize != null ? "--batch-size" : null;
        if (methodSpecific != null) {
            throw new IllegalArgumentException("with --method auto every method trains with its own recipe: "
                    + methodSpecific + " applies to a method named with --method");
        }
        return true;
    }

    /** The fit of {@code m} with these options (the named method's, or the one {@code --method auto} chose). */
    FitRequest request(String product, Path teacher, List<Path> images, DistillationMethod m) {
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
        ThresholdPolicy policy = targetSyntheticRecall != null
                ? ThresholdPolicy.targetSyntheticRecall(targetSyntheticRecall)
                : ThresholdPolicy.targetFalseRejectRate(targetFalseRejectRate);
        if (tile == null && tileOverlap != null) {
            throw new IllegalArgumentException("--tile-overlap applies with --tile");
        }
        Preprocessing preprocessing = m.preprocessing(inputSize).tiled(tile == null ? null
                : tileOverlap == null ? Tiling.withDefaultOverlap(tile) : new Tiling(tile, tileOverlap));
        return FitRequest.fromScratch(product, teacher, images, m, preprocessing, settings,
                holdoutFraction, reviewSyntheticRecall != null ? policy.withReviewBand(reviewSyntheticRecall) : policy,
                !noActivate).withDontCare(dontCare);
    }

    InferenceOptions inference() {
        return InferenceOptions.cpu(threads);
    }
}
