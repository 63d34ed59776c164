package dev.kdedge.node.results;

import dev.kdedge.node.inference.ScoringPipeline;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.Part;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A candidate version against the active one on what the line really sent: the kept images of a product's latest
 * results, each scored by both (not recorded: these are not the line's parts), one image at a time under a client
 * key of its own, so the line's frames keep their share of the scoring queue.
 */
public final class VersionComparison {
    /** The client key the comparison's requests queue under: one share, like one camera's. */
    private static final Object CLIENT = "version comparison";
    private static final HeatmapWish OVERLAY = new HeatmapWish(HeatmapWish.Format.PNG_OVERLAY, 0, 0);

    private final ScoringPipeline pipeline;
    private final ResultJournal journal;
    private final EvidenceStore evidence;

    /** One kept image as both versions judged it; the heatmap overlays only where the evaluations differ. */
    public record Judged(long resultId, String partId, double activeScore, Evaluation active, double candidateScore,
            Evaluation candidate, Optional<byte[]> activeOverlay, Optional<byte[]> candidateOverlay) {
        public boolean flips() {
            return active != candidate;
        }
    }

    /** @param judged newest result first */
    public record Comparison(String product, int activeVersion, int candidateVersion, List<Judged> judged) {
        public long agreeing() {
            return judged.stream().filter(j -> !j.flips()).count();
        }
    }

    public VersionComparison(ScoringPipeline pipeline, ResultJournal journal, EvidenceStore evidence) {
        this.pipeline = pipeline;
        this.journal = journal;
        this.evidence = evidence;
    }

    /** Scores the kept images of the product's latest {@code last} results by both versions. */
    public CompletableFuture<Comparison> compare(String product, int activeVersion, int candidateVersion, int last) {
        return journal.page(false, Long.MAX_VALUE, new ResultFilter(product, "", null, false), null, null,
                last).thenCompose(results -> next(product, activeVersion, candidateVersion,
                results.stream().filter(r -> r.viewResultIds().isEmpty() && evidence.holds(r.resultId())).toList(),
                0, new ArrayList<>()));
    }

    private CompletableFuture<Comparison> next(String product, int active, int candidate, List<ResultRecord> kept,
            int index, List<Judged> judged) {
        if (index == kept.size()) {
            return CompletableFuture.completedFuture(new Comparison(product, active, candidate, List.copyOf(judged)));
        }
        ResultRecord result = kept.get(index);
        return evidence.read(result.resultId()).thenCompose(image -> {
            if (image.isEmpty()) {
                // removed for room since it was listed
                return next(product, active, candidate, kept, index + 1, judged);
            }
            byte[] bytes = image.get().image();
            return score(product, active, bytes).thenCompose(byActive -> score(product, candidate, bytes)
                    .thenCompose(byCandidate -> {
                        boolean flips = byActive.evaluation() != byCandidate.evaluation();
                        judged.add(new Judged(result.resultId(), result.part().id(), byActive.verdict().rawScore(),
                                byActive.evaluation(), byCandidate.verdict().rawScore(), byCandidate.evaluation(),
                                flips ? overlay(byActive) : Optional.empty(),
                                flips ? overlay(byCandidate) : Optional.empty()));
                        return next(product, active, candidate, kept, index + 1, judged);
                    }));
        });
    }

    private CompletableFuture<InspectionResult> score(String product, int version, byte[] image) {
        return pipeline.score(new InspectionRequest(product, version, new ImageInput.Encoded(ByteBuffer.wrap(image)),
                OVERLAY, InspectionRequest.NO_DEADLINE, CLIENT, Part.UNNAMED, "console").validate(),
                new CompletableFuture<>());
    }

    private static Optional<byte[]> overlay(InspectionResult result) {
        return result.heatmap().map(InspectionResult.RenderedHeatmap::data);
    }
}
