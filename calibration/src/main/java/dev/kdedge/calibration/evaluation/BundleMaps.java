package dev.kdedge.calibration.evaluation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A product version from a model store, scored in this process through the same code the node serves it with. */
public final class BundleMaps implements AnomalyMapSource {
    private final ProductBundle bundle;
    private final Precision precision;
    private final QdqScheme int8Scheme;
    private final ScoreCalibration calibration;
    private final OnnxNetwork served;
    private final Scorer scorer;
    private final Optional<DontCareMask> dontCare;
    private final ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);

    /**
     * The version at {@code precision}, as the options' provider serves it.
     *
     * @throws IllegalArgumentException where the version has no variant at {@code precision}
     */
    public BundleMaps(ProductBundle bundle, Precision precision, InferenceOptions options) throws IOException {
        this(bundle, precision, options.provider().int8Scheme(), options);
    }

    /**
     * The version at {@code precision} with the INT8 variant named: the TensorRT one scored here is its rounding as
     * written, run by ONNX Runtime.
     *
     * @throws IllegalArgumentException where the version has no such variant
     */
    public BundleMaps(ProductBundle bundle, Precision precision, QdqScheme int8Scheme, InferenceOptions options)
            throws IOException {
        this.bundle = bundle;
        this.precision = precision;
        this.int8Scheme = int8Scheme;
        this.calibration = bundle.manifest().threshold().calibration();
        this.dontCare = bundle.dontCare();
        this.served = ServedGraph.loadTakingFrames(bundle, precision, int8Scheme, options);
        this.scorer = new Scorer(served, bundle.manifest().preprocessing());
    }

    @Override
    public Scored score(Path image) throws IOException {
        Pixels frame = decodeFitting(image);
        long start = System.nanoTime();
        AnomalyMap map = scorer.anomalyMap(scorer.infer(List.of(frame)), 0);
        return new Scored(map, (System.nanoTime() - start) / 1e6);
    }

    @Override
    public byte[] overlayPng(Path image) throws IOException {
        Pixels pixels = decodeFitting(image);
        AnomalyMap map = scorer.anomalyMap(scorer.infer(List.of(pixels)), 0);
        byte[] heat = HeatmapImages.normalizedGray(map, calibration, map.width(), map.height());
        return HeatmapImages.png(HeatmapImages.overlay(heat, pixels, map.width(), map.height(),
                dontCare.map(mask -> mask.at(map.width(), map.height())).orElse(null)));
    }

    /** The image, refused as the node refuses it where it does not fit the version's don't-care mask. */
    private Pixels decodeFitting(Path image) throws IOException {
        Pixels pixels = decoder.decodeFile(image);
        if (dontCare.isPresent() && !dontCare.get().fits(pixels.width(), pixels.height())) {
            throw new IOException(image + ": " + dontCare.get().misfit(pixels.width(), pixels.height()));
        }
        return pixels;
    }

    @Override
    public String bundleLabel() {
        return bundle.label();
    }

    @Override
    public String precision() {
        return precision == Precision.INT8 && int8Scheme == QdqScheme.TENSORRT
                ? precision.label() + " for " + int8Scheme.label() : precision.label();
    }

    @Override
    public double threshold() {
        return calibration.threshold();
    }

    @Override
    public String modelDescription() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(bundle.manifest());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest of " + bundle.label() + " does not serialize", e);
        }
    }

    @Override
    public Optional<Manifest> manifest() {
        return Optional.of(bundle.manifest());
    }

    @Override
    public Optional<DontCareMask> dontCare() {
        return dontCare;
    }

    @Override
    public void close() {
        served.close();
    }
}
