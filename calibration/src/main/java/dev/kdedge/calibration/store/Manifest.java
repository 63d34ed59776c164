package dev.kdedge.calibration.store;

import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;

/**
 * Everything needed to serve one product version the way it was fitted; {@code manifest.json} in the version
 * directory. The node reads preprocessing and thresholds from here, never from code defaults.
 *
 * @param parentVersion the version this one was fine-tuned from, or whose student it keeps as it is (a new don't-care
 *     region); null when trained from random initialization
 * @param served the graph the version is served with (teacher, student, anomaly map and score in one ONNX graph);
 *     null for a version published before served graphs existed, which is served from the same graph composed at
 *     load
 * @param int8 the INT8 variant of the served graph that ONNX Runtime runs (CPU, CUDA), or why there is none; null for
 *     a version fitted before INT8 variants existed
 * @param int8TensorRt the INT8 variant written for TensorRT ({@link QdqScheme#TENSORRT}), or why there is none; null
 *     for a version fitted before it existed
 * @param methodChoice how the method was chosen, when {@code fit --method auto} chose it; else null
 * @param dontCare the region that does not count, where the product has one; else null
 */
public record Manifest(
        int format,
        String product,
        int version,
        String method,
        Map<String, Object> anomalyMap,
        String createdAt,
        Teacher teacher,
        Student student,
        Preprocessing preprocessing,
        Threshold threshold,
        Training training,
        Integer parentVersion,
        Served served,
        Int8 int8,
        Int8 int8TensorRt,
        MethodChoice methodChoice,
        DontCare dontCare) {

    /**
     * The format written. 2: an input may be other than square, tiled, and have a don't-care region; a node that reads
     * format 1 only would ignore them and serve such a version squeezed and without its region, so it refuses format 2.
     * This build reads both (a format 1 manifest has none of them).
     */
    public static final int FORMAT = 2;
    public static final int OLDEST_READABLE_FORMAT = 1;
    public static final String FILE = "manifest.json";

    /**
     * This version's graphs served as {@code version} with {@code moved} as its threshold: fine-tuned from nothing,
     * its parent this version.
     */
    public Manifest asVersionWith(int version, Threshold moved, String createdAt) {
        return new Manifest(format, product, version, method, anomalyMap, createdAt, teacher, student, preprocessing,
                moved, training, this.version, served, int8, int8TensorRt, methodChoice, dontCare);
    }

    /** The INT8 variant in {@code scheme}'s form; null where the version was fitted before it existed. */
    public Int8 int8(QdqScheme scheme) {
        return switch (scheme) {
            case ONNX_RUNTIME -> int8;
            case TENSORRT -> int8TensorRt;
        };
    }

    /** The INT8 variants the fit published, each naming its file and digest. */
    public List<Int8> publishedInt8() {
        return Stream.of(QdqScheme.values()).map(this::int8).filter(v -> v != null && v.published()).toList();
    }

    /**
     * A product's don't-care region ({@link DontCareMask}), applied in the served graph.
     *
     * @param file the mask as the engineer drew it, in the version directory
     * @param width its width and height: a frame must have its aspect ratio
     * @param coveredShare the share of the model input it leaves out
     * @param polygons where the region was written down as polygons, those polygons (each a list of [x, y] in the
     *     frame's pixels), which the console's drawing starts from; null where it was drawn as a PNG. The PNG is what
     *     is served either way.
     */
    public record DontCare(String file, String sha256, int width, int height, double coveredShare,
            List<List<List<Double>>> polygons) {}

    /** The shared teacher, by content hash, and the feature taps the method reads. */
    public record Teacher(String sha256, List<String> outputs, List<Integer> channels) {}

    public record Student(String file, String sha256, String architecture, int width, List<String> outputs) {}

    /**
     * @param mapParityMaxAbsDifference the largest difference between the graph's anomaly map or score and the
     *     method's Java reference on the parity images
     * @param mapParityMeanAbsDifference the mean difference of a map value (null in versions fitted before it was
     *     recorded)
     * @param frameInputLevelsApart the largest difference, in 8-bit levels, between the model input the served
     *     graph's frame input computes and the fit's preprocessing on the parity images (null in versions fitted before
     *     frames went into the graph: those are served with their images preprocessed in Java)
     */
    public record Served(String file, String sha256, double mapParityMaxAbsDifference,
            Double mapParityMeanAbsDifference, Double frameInputLevelsApart) {}

    /**
     * The INT8 variant ({@code Int8Calibration}): published only if its scores stayed within {@code tolerance} of the
     * float graph's on the check images.
     *
     * @param file the QDQ graph in the version directory, or null where it was not published
     * @param refusal why it was not published, or null
     * @param calibrationImages the normals whose activations set the ranges (training images: the check images are
     *     then ones the ranges never saw), and {@code calibrationDigest} their contents' digest
     * @param checkSource which images the deviation was measured on: "held-out-normals", or "training-images"
     * @param scoreDeviation the largest |INT8 score - float score| over the check images, as a fraction of the
     *     threshold
     * @param floatBlocks network blocks left in float because quantizing them moved the scores most
     */
    public record Int8(String file, String sha256, String refusal, int calibrationImages, String calibrationDigest,
            String checkSource, int checkImages, double scoreDeviation, double tolerance, List<String> floatBlocks) {
        public boolean published() {
            return file != null;
        }
    }

    /**
     * @param policy how the threshold was set: {@link ThresholdPolicy#TARGET_FALSE_REJECT_RATE} (with
     *     {@code targetFalseRejectRate}), {@link ThresholdPolicy#TARGET_SYNTHETIC_RECALL} or {@link
     *     ThresholdPolicy#FIXED}
     * @param source which images the calibration came from: "held-out-normals", or "training-images" when nothing
     *     was held out (the threshold is then optimistic)
     * @param f1OptimalThreshold with labeled defect images at fit time: the threshold that maximizes F1 on them and
     *     the held-out normals, for the engineer's information (the policy's threshold is the one served); else null
     * @param targetSyntheticRecall the policy's share of synthetic defects to catch, if that is the policy
     * @param reviewSyntheticRecall the share of synthetic defects at or above the review band's lower edge
     *     ({@code calibration.reviewFrom()}), where the policy has a review band; else null
     * @param synthetic what the threshold does to synthetic defects painted on the held-out normals; null without
     *     held-out normals (and in versions fitted before it existed)
     * @param fitted the threshold the fit set, where a person has since moved it ({@link #movedTo}); else null
     */
    public record Threshold(String policy, Double targetFalseRejectRate, Double targetSyntheticRecall,
            Double reviewSyntheticRecall, String source, int images, ScoreCalibration calibration,
            Double f1OptimalThreshold, Double f1, SyntheticCheck synthetic, Double fitted) {

        public static Threshold of(ThresholdPolicy policy, String source, int images, ScoreCalibration calibration,
                Double f1OptimalThreshold, Double f1, SyntheticCheck synthetic) {
            return new Threshold(policy.policy(),
                    ThresholdPolicy.TARGET_FALSE_REJECT_RATE.equals(policy.policy()) ? policy.value() : null,
                    ThresholdPolicy.TARGET_SYNTHETIC_RECALL.equals(policy.policy()) ? policy.value() : null,
                    policy.reviewSyntheticRecall(), source, images, calibration, f1OptimalThreshold, f1, synthetic,
                    null);
        }

        /** The threshold the fit set, whether or not a person has moved it since. */
        public double fittedThreshold() {
            return fitted != null ? fitted : calibration.threshold();
        }

        /**
         * This threshold moved by a person to {@code threshold} ({@code why} says who and from where): a fixed policy,
         * the review band kept where it still lies below, the synthetic check's shares at the new threshold.
         */
        public Threshold movedTo(double threshold, String why) {
            ThresholdPolicy.fixed(threshold);
            ScoreCalibration moved = calibration.withThreshold(threshold);
            if (calibration.reviewFrom() != null && calibration.reviewFrom() < threshold) {
                moved = moved.withReviewFrom(calibration.reviewFrom());
            }
            return new Threshold(ThresholdPolicy.FIXED, null, null, moved.reviewFrom() != null ? reviewSyntheticRecall
                    : null, why, images, moved, f1OptimalThreshold, f1, synthetic == null ? null
                    : synthetic.at(moved), fittedThreshold());
        }
    }

    /**
     * The threshold against synthetic defects (kdedge-calibrate synthesize's, one on each held-out normal): an
     * estimate of what it lets through before any real defect is seen.
     *
     * @param defects how many were painted
     * @param seed the seed of the first (the i-th has seed + i)
     * @param caught the share scored at or above the threshold
     * @param normalsRejected the share of the held-out normals scored at or above it
     * @param imageAuroc how well the scores separate the synthetic defects from the held-out normals; null in
     *     versions fitted before it was recorded (as are the fields below)
     * @param pixelAuroc how well the maps find the synthetic defects' pixels (their masks are exactly the pixels the
     *     paint changed, so this runs higher than on real defects, whose masks outline whole flaws)
     * @param toReview with a review band, the share of the defects in it (sent to a person), and {@code
     *     normalsToReview} the share of the held-out normals; null without one
     * @param normalScores the held-out normals' image scores, and {@code defectScores} the synthetic defects' (the
     *     i-th painted on the i-th normal): the distributions the report draws against the threshold
     */
    public record SyntheticCheck(int defects, long seed, double caught, double normalsRejected, Double imageAuroc,
            Double pixelAuroc, Double toReview, Double normalsToReview, List<Double> normalScores,
            List<Double> defectScores) {

        /** The same defects and normals under {@code calibration}'s threshold and review band. */
        public SyntheticCheck at(ScoreCalibration calibration) {
            if (normalScores == null || defectScores == null) {
                return this;
            }
            boolean band = calibration.reviewFrom() != null;
            return new SyntheticCheck(defects, seed, share(defectScores, calibration::isAnomalous),
                    share(normalScores, calibration::isAnomalous), imageAuroc, pixelAuroc,
                    band ? share(defectScores, calibration::inReviewBand) : null,
                    band ? share(normalScores, calibration::inReviewBand) : null, normalScores, defectScores);
        }

        private static double share(List<Double> scores, DoublePredicate which) {
            return (double) scores.stream().filter(which::test).count() / scores.size();
        }
    }

    /**
     * How {@code kdedge-calibrate fit --method auto} chose this version's method: each registered method fitted
     * briefly on the same images, ranked by how well it tells synthetic defects from the held-out normals.
     *
     * @param epochs the length of each short fit
     * @param candidates best first; the first is the method this version was fitted with
     */
    public record MethodChoice(int epochs, List<Candidate> candidates) {
        /**
         * @param imageAuroc and {@code pixelAuroc}: the short fit's {@link SyntheticCheck}
         * @param seconds the short fit's wall time
         */
        public record Candidate(String method, double imageAuroc, double pixelAuroc, double seconds) {}

        public String chosen() {
            return candidates.get(0).method();
        }
    }

    /**
     * @param parityMaxAbsDifference the exported student's largest difference from the trained one, each tap's
     *     relative to its largest value where that exceeds 1 ({@link
     *     dev.kdedge.calibration.training.StudentExport#verify}); absolute in versions fitted before that
     */
    public record Training(int images, String dataDigest, int epochs, TrainingRecipe recipe, long seed,
            List<Double> lossPerEpoch, List<Double> secondsPerEpoch, double parityMaxAbsDifference) {}
}
