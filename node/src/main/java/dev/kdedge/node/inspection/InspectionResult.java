package dev.kdedge.node.inspection;

import java.util.Optional;

/**
 * What the node decided for one image, and the heatmap when one was asked for.
 *
 * @param evidence for a verdict other than OK, where the node keeps images: the anomaly map over the image, kept with
 *     the image for whoever must later see why a part was rejected; drawn by whoever keeps it, after the reply
 * @param part the part as the request named it, or under the id the node gave it
 * @param resultId the number the results journal keeps it under; 0 while unrecorded
 */
public record InspectionResult(Verdict verdict, Optional<RenderedHeatmap> heatmap, Optional<Evidence> evidence,
        Part part, long resultId) {

    /**
     * A rejected part's heatmap over its image (PNG at the map's size), still to be drawn: shrinking a 12 MP frame to
     * the map's size and encoding the overlay take half as long as the model, so it is drawn where it is kept, not
     * before the reply. Holds the decoded frame until then.
     */
    public interface Evidence {
        RenderedHeatmap draw();

        /** What it holds in memory until drawn. */
        long heldBytes();

        /**
         * The request's {@code image} as its copy this evidence holds already (the frame its heatmap is drawn over),
         * where the image is a shared frame lent for its call ({@link ImageInput.Raw#lent}): kept instead of a second
         * copy. Empty for any other image, or where the evidence holds none.
         */
        Optional<ImageInput> imageHeld(ImageInput image);
    }

    public Evaluation evaluation() {
        return verdict.evaluation();
    }

    /** The result as recorded under {@code id}, for {@code recordedPart}. */
    public InspectionResult recorded(long id, Part recordedPart) {
        return new InspectionResult(verdict, heatmap, evidence, recordedPart, id);
    }

    /**
     * @param normalizedScore anomalib's normalization: 0.5 is the threshold
     * @param evaluation NOT_OK at or above the threshold; NOT_DECIDABLE in the version's review band below it; else OK
     * @param reviewFrom the review band's lower edge, or null where the version has none
     * @param precision the precision that produced it: fp32, int8, fp16
     */
    public record Verdict(String product, int version, double rawScore, double normalizedScore, Evaluation evaluation,
            double threshold, Double reviewFrom, String precision, StageTimes timings) {

        /** Not accepted as good: rejected, or sent to a person (a client that reads only this never passes those). */
        public boolean anomalous() {
            return evaluation != Evaluation.OK;
        }
    }

    /** Where the time went on the node, in milliseconds, and how many frames the inference ran with. */
    public record StageTimes(double decodeMs, double preprocessMs, double inferenceMs, double anomalyMapMs,
            double heatmapMs, double totalMs, int batchSize) {}

    public record RenderedHeatmap(HeatmapWish.Format format, int width, int height, byte[] data) {}
}
