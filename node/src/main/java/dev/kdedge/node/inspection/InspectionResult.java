package dev.kdedge.node.inspection;

import java.util.Optional;

/** What the node decided for one image, and the heatmap when one was asked for. */
public record InspectionResult(Verdict verdict, Optional<RenderedHeatmap> heatmap) {
    /**
     * @param normalizedScore anomalib's normalization: 0.5 is the threshold
     * @param precision the precision that produced it: fp32, int8, fp16
     */
    public record Verdict(String product, int version, double rawScore, double normalizedScore, boolean anomalous,
            double threshold, String precision, StageTimes timings) {}

    /** Where the time went on the node, in milliseconds, and how many frames the inference ran with. */
    public record StageTimes(double decodeMs, double preprocessMs, double inferenceMs, double anomalyMapMs,
            double heatmapMs, double totalMs, int batchSize) {}

    public record RenderedHeatmap(HeatmapWish.Format format, int width, int height, byte[] data) {}
}
