package dev.kdedge.calibration.store;

import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to serve one product version the way it was fitted; {@code manifest.json} in the version
 * directory. The node reads preprocessing and thresholds from here, never from code defaults.
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
        Training training) {

    public static final int FORMAT = 1;
    public static final String FILE = "manifest.json";

    /** The shared teacher, by content hash, and the feature taps the method reads. */
    public record Teacher(String sha256, List<String> outputs, List<Integer> channels) {}

    public record Student(String file, String sha256, String architecture, int width, List<String> outputs) {}

    /**
     * @param source which images the calibration came from: "held-out-normals", or "training-images" when nothing
     *     was held out (the threshold is then optimistic)
     */
    public record Threshold(String policy, double targetFalseRejectRate, String source, int images,
            ScoreCalibration calibration) {}

    public record Training(int images, String dataDigest, int epochs, TrainingRecipe recipe, long seed,
            List<Double> lossPerEpoch, List<Double> secondsPerEpoch, double parityMaxAbsDifference) {}
}
