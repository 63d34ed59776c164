package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.tensor.FloatTensor;

/**
 * Scores images with a teacher and an exported student exactly as the node serves them, in three stages that callers
 * may time or schedule separately: {@link #preprocess}, {@link #infer}, {@link #anomalyMap}. Thread-safe. Does not own
 * the networks.
 */
public final class Scorer {
    private final DistillationMethod method;
    private final OnnxNetwork teacher;
    private final OnnxNetwork student;
    private final Preprocessing preprocessing;

    public Scorer(DistillationMethod method, OnnxNetwork teacher, OnnxNetwork student, Preprocessing preprocessing) {
        this.method = method;
        this.teacher = teacher;
        this.student = student;
        this.preprocessing = preprocessing;
    }

    public FloatTensor preprocess(Pixels image) {
        return preprocessing.apply(image);
    }

    public Features infer(FloatTensor batch) {
        return new Features(teacher.run(batch), student.run(batch));
    }

    public AnomalyMap anomalyMap(Features features, int index) {
        return method.anomalyMap(features.teacher(), features.student(), index, preprocessing.size());
    }
}
