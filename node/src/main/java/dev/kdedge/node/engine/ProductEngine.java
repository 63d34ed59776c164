package dev.kdedge.node.engine;

import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.store.ProductBundle;
import java.util.List;
import java.util.Optional;

/**
 * One loaded product version: its bundle and the session of its served graph (the frame's preprocessing, teacher,
 * student, anomaly map and score in one). Requests hold it through an {@link EngineLease}; the cache's eviction only drops the cache's hold.
 */
public final class ProductEngine extends RefCounted {
    private final ProductBundle bundle;
    private final Precision precision;
    private final OnnxNetwork served;
    private final Scorer scorer;
    private final Optional<DontCareMask> dontCare;
    private final int tiles;

    ProductEngine(ProductBundle bundle, Precision precision, OnnxNetwork served, Optional<DontCareMask> dontCare) {
        this.bundle = bundle;
        this.precision = precision;
        this.served = served;
        this.scorer = new Scorer(served, bundle.manifest().preprocessing());
        this.dontCare = dontCare;
        this.tiles = bundle.manifest().preprocessing().layout().count();
    }

    /**
     * Runs one blank frame of the model's input size through the served graph: what a provider builds on a session's first run (a TensorRT
     * engine: minutes on a Jetson, or its load from the engine cache) happens now, on the loader, not on a request's
     * clock.
     */
    void warmUp() {
        scorer.infer(List.of(Pixels.blank(bundle.manifest().preprocessing().size())));
    }

    public ProductBundle bundle() {
        return bundle;
    }

    /** The precision the engine runs in: the configured one, or fp32 where the version has no such variant. */
    public Precision precision() {
        return precision;
    }

    public Scorer scorer() {
        return scorer;
    }

    /** What one frame runs through the networks: its tiles, or 1 where the product is not tiled. */
    public int tiles() {
        return tiles;
    }

    /** The version's don't-care region (its served graph leaves it out), for heatmaps to grey out. */
    public Optional<DontCareMask> dontCare() {
        return dontCare;
    }

    /** The cache weight: the served graph's bytes, the teacher's weights included. */
    long weight() {
        return served.modelBytes();
    }

    @Override
    protected void closeResources() {
        served.close();
    }
}
