package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * What to fit: a product's normal images, the teacher, the method and how to train it, and how to set the threshold.
 *
 * @param training how to train the student; null keeps the parent's student as it is (a new don't-care region
 *     changes the map the served graph makes of the student's features, not what the student learned)
 * @param holdoutFraction share of the images kept out of training to fit the threshold on; 0 fits the threshold on
 *     the training images themselves (recorded as such in the manifest)
 * @param parent the version whose student training continues from (or, without training, is kept), or null to
 *     train from random initialization
 * @param defectImages labeled defective images, to report the F1-optimal threshold with the held-out normals
 * @param methodChoice how {@code method} was chosen, recorded in the manifest; null when the engineer named it
 * @param dontCare where the product's don't-care mask ({@link dev.kdedge.calibration.image.DontCareMask}) comes from,
 *     or null where every pixel counts
 */
public record FitRequest(String product, Path teacherOnnx, List<Path> images, DistillationMethod method,
        Preprocessing preprocessing, TrainingSettings training, double holdoutFraction, ThresholdPolicy thresholdPolicy,
        boolean activate, ProductBundle parent, List<Path> defectImages, Manifest.MethodChoice methodChoice,
        DontCareSource dontCare) {
    public FitRequest {
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("hold-out fraction must be in [0, 1), was " + holdoutFraction);
        }
        if (training == null && parent == null) {
            throw new IllegalArgumentException("a student is trained, or kept from a parent version");
        }
        images = List.copyOf(images);
        defectImages = List.copyOf(defectImages);
    }

    /** The seed that shuffles the images into training and held-out ones: the training's, or the kept student's. */
    long seed() {
        return training != null ? training.seed() : parent.manifest().training().seed();
    }

    /** A first fit of a product: random initialization, no defect images. */
    public static FitRequest fromScratch(String product, Path teacherOnnx, List<Path> images, DistillationMethod method,
            Preprocessing preprocessing, TrainingSettings training, double holdoutFraction,
            ThresholdPolicy thresholdPolicy, boolean activate) {
        return new FitRequest(product, teacherOnnx, images, method, preprocessing, training, holdoutFraction,
                thresholdPolicy, activate, null, List.of(), null, null);
    }

    /**
     * A re-fit of a served product on new images, with its teacher, method, preprocessing and don't-care mask; never
     * activated (the engineer promotes it).
     *
     * @param base the version to re-fit
     * @param continueFromBase train from {@code base}'s student (it becomes the parent) rather than from scratch
     */
    public static FitRequest refit(ProductBundle base, boolean continueFromBase, List<Path> images,
            List<Path> defectImages, TrainingSettings training, double holdoutFraction,
            ThresholdPolicy thresholdPolicy) {
        return new FitRequest(base.product(), base.teacherFile(), images,
                Methods.named(base.manifest().method(), base.manifest().anomalyMap()), base.manifest().preprocessing(),
                training,
                holdoutFraction, thresholdPolicy, false, continueFromBase ? base : null, defectImages, null,
                DontCareSource.keptBy(base));
    }

    /**
     * A new version of a served product that differs from {@code base} in its don't-care region only: base's teacher,
     * method, preprocessing and student as they are, the served graph composed with {@code dontCare} (a PNG; null:
     * every pixel counts), and its INT8 variants made again from {@code images}, the product's normals.
     *
     * <p>Its threshold is base's as served (a fixed policy at that score, with base's review band rule): a region
     * only zeroes the map whose maximum is the score, so where it grows no part scores higher than before and no
     * part is judged differently for what lies outside it. Set again from the normals instead, it would rest on the
     * few an engineer collects on site (a fifth of 10 is 2 scores), and a version that is served at once could
     * start rejecting good parts. The held-out normals still give the version's score statistics and synthetic
     * check at that threshold. Of {@code images}, a seeded sample is read, as many as those checks need (at most 128
     * held out and 32 others), so that neither time nor heap grows with the normals collected.
     */
    public static FitRequest remask(ProductBundle base, Path dontCare, List<Path> images, double holdoutFraction,
            boolean activate) {
        return new FitRequest(base.product(), base.teacherFile(), images,
                Methods.named(base.manifest().method(), base.manifest().anomalyMap()), base.manifest().preprocessing(),
                null, holdoutFraction, servedThreshold(base.manifest().threshold()), activate, base, List.of(),
                base.manifest().methodChoice(), DontCareSource.handedIn(dontCare));
    }

    private static ThresholdPolicy servedThreshold(Manifest.Threshold served) {
        ThresholdPolicy kept = ThresholdPolicy.fixed(served.calibration().threshold());
        return served.reviewSyntheticRecall() == null ? kept : kept.withReviewBand(served.reviewSyntheticRecall());
    }

    /** The same fit with another method, as one of {@link MethodChooser}'s candidates: never activated. */
    FitRequest candidate(DistillationMethod candidate, TrainingSettings shortTraining) {
        return new FitRequest(product, teacherOnnx, images, candidate,
                candidate.preprocessing(preprocessing.size()).tiled(preprocessing.tiling()), shortTraining,
                holdoutFraction, thresholdPolicy, false, null, defectImages, null, dontCare);
    }

    /** The same fit, recording how its method was chosen. */
    public FitRequest withMethodChoice(Manifest.MethodChoice choice) {
        return new FitRequest(product, teacherOnnx, images, method, preprocessing, training, holdoutFraction,
                thresholdPolicy, activate, parent, defectImages, choice, dontCare);
    }

    /**
     * The same fit, with {@code mask} (a PNG, or a {@code .json} file of polygons) as the product's don't-care region;
     * null: every pixel counts.
     */
    public FitRequest withDontCare(Path mask) {
        return new FitRequest(product, teacherOnnx, images, method, preprocessing, training, holdoutFraction,
                thresholdPolicy, activate, parent, defectImages, methodChoice, DontCareSource.handedIn(mask));
    }
}
