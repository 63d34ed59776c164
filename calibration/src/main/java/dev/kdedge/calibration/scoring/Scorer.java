package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * Scores images with a product version's served graph exactly as the node serves them, in three stages that callers
 * may time or schedule separately: {@link #preprocess}, {@link #infer} (the whole model: teacher, student, map,
 * score), {@link #anomalyMap} (one sample's map out of the batch). Thread-safe. Does not own the network.
 */
public final class Scorer {
    private final OnnxNetwork served;
    private final Preprocessing preprocessing;

    /** The served graph's outputs for one batch: anomaly maps [N, 1, S, S] and scores [N, 1, 1, 1]. */
    public record Inference(FloatTensor maps, FloatTensor scores) {}

    public Scorer(OnnxNetwork served, Preprocessing preprocessing) {
        this.served = served;
        this.preprocessing = preprocessing;
    }

    public FloatTensor preprocess(Pixels image) {
        return preprocessing.apply(image);
    }

    public Inference infer(FloatTensor batch) {
        List<FloatTensor> outputs = served.run(batch);
        return new Inference(outputs.get(0), outputs.get(1));
    }

    public AnomalyMap anomalyMap(Inference inference, int index) {
        FloatTensor maps = inference.maps();
        FloatTensor map = maps.batch() == 1 ? maps : maps.sample(index);
        return new AnomalyMap(map.width(), map.height(), map.data(), inference.scores().data()[index]);
    }
}
