package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.InterleavedPixels;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * Scores images with a product version's served graph exactly as the node serves them, in two stages that callers
 * may time or schedule separately: {@link #infer} (the whole model: preprocessing where the graph takes frames,
 * teacher, student, map, score), {@link #anomalyMap} (one sample's map out of the batch). Thread-safe. Does not own
 * the network.
 */
public final class Scorer {
    private final OnnxNetwork served;
    private final Preprocessing preprocessing;
    private final boolean takesFrames;
    private final FrameBuffers frameBuffers = new FrameBuffers();

    /** The served graph's outputs for one batch: anomaly maps [N, 1, H, W] and scores [N, 1, 1, 1]. */
    public record Inference(FloatTensor maps, FloatTensor scores) {}

    /**
     * @param served a served graph as its fit wrote it (taking preprocessed images), or as {@link
     *     ServedGraph#loadTakingFrames} loads it
     */
    public Scorer(OnnxNetwork served, Preprocessing preprocessing) {
        this.served = served;
        this.preprocessing = preprocessing;
        this.takesFrames = served.inputNames().contains(FrameInput.FRAME);
    }

    /** Model inputs [N, 3, H, W], preprocessed already, through a graph that takes them (one as its fit wrote it). */
    public Inference infer(FloatTensor batch) {
        if (takesFrames) {
            throw new IllegalStateException("this served graph takes frames, not preprocessed images");
        }
        return outputs(served.run(batch));
    }

    /**
     * Frames of one layout ({@link InterleavedPixels#sameLayout}) as one batch: into the graph as they are where it
     * takes frames, else (a version fitted before frames went into the graph) preprocessed here first.
     */
    public Inference infer(List<? extends InterleavedPixels> frames) {
        if (!takesFrames) {
            List<FloatTensor> images = frames.stream().map(frame -> preprocessing.apply(frame.onHeap())).toList();
            return outputs(served.run(images.size() == 1 ? images.get(0) : FloatTensor.stack(images)));
        }
        return outputs(FrameInput.run(served, frames, frameBuffers));
    }

    public AnomalyMap anomalyMap(Inference inference, int index) {
        FloatTensor maps = inference.maps();
        FloatTensor map = maps.batch() == 1 ? maps : maps.sample(index);
        return new AnomalyMap(map.width(), map.height(), map.data(), inference.scores().data()[index]);
    }

    private static Inference outputs(List<FloatTensor> outputs) {
        return new Inference(outputs.get(0), outputs.get(1));
    }
}
