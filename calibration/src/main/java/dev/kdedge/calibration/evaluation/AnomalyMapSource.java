package dev.kdedge.calibration.evaluation;

import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.store.Manifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an evaluation gets its maps: a product version scored in this process ({@link BundleMaps}) or the version a
 * running node serves (the CLI's {@code NodeMaps}). Both give the raw map at model resolution, so every metric is
 * computed the same way whichever is evaluated.
 */
public interface AnomalyMapSource extends AutoCloseable {

    /**
     * @param inferenceMs teacher + student + anomaly map for this image (decode and resize excluded)
     */
    record Scored(AnomalyMap map, double inferenceMs) {}

    Scored score(Path image) throws IOException;

    /** The input with its heat map blended over it, as a PNG. */
    byte[] overlayPng(Path image) throws IOException;

    /** "product@version" of what was scored. */
    String bundleLabel();

    /** The arithmetic the served graph ran in ({@code fp32}, {@code int8}). */
    String precision();

    /** Raw score at and above which the product calls an image defective. */
    double threshold();

    /** What the report shows as the model: its manifest, or as much as the source can tell. */
    String modelDescription();

    /** The version's manifest where this process reads its store; empty for a version a node serves. */
    Optional<Manifest> manifest();

    /**
     * The version's don't-care region, whose pixels evaluations leave out; empty where it has none. Known once an
     * image was scored (a node's first answer names the version it serves).
     */
    Optional<DontCareMask> dontCare() throws IOException;

    @Override
    void close() throws IOException;
}
