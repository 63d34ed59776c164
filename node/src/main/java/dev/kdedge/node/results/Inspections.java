package dev.kdedge.node.results;

import dev.kdedge.node.inference.ScoringPipeline;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.inspection.StationRecipes;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every door calls to inspect an image: given its station's recipe, scored by the pipeline, recorded in the
 * journal and handed back once recorded (or unrecorded, when the journal is off or cannot write); the image of a
 * result worth keeping goes to the evidence store afterwards, the view of a part seen by several cameras to its
 * part, and the frame to a shadow running for its product.
 */
public final class Inspections {
    private static final Logger LOG = LoggerFactory.getLogger(Inspections.class);
    private final ScoringPipeline pipeline;
    private final Optional<ResultJournal> journal;
    private final Optional<EvidenceStore> evidence;
    private final Optional<PartResults> parts;
    private final StationRecipes stations;
    private final Optional<ShadowScoring> shadows;

    public Inspections(ScoringPipeline pipeline, Optional<ResultJournal> journal, Optional<EvidenceStore> evidence,
            Optional<PartResults> parts, StationRecipes stations, Optional<ShadowScoring> shadows) {
        this.pipeline = pipeline;
        this.journal = journal;
        this.evidence = evidence;
        this.parts = parts;
        this.stations = stations;
        this.shadows = shadows;
    }

    /**
     * @param abandoned completes when the caller no longer wants the result: the request leaves the pipeline
     * @return see {@link ScoringPipeline#score}; a result with its result id and part id
     */
    public CompletableFuture<InspectionResult> inspect(InspectionRequest asked, CompletionStage<?> abandoned) {
        InspectionRequest request;
        try {
            request = stations.withRecipe(asked);
        } catch (RejectedRequestException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        String station = request.part().station();
        stations.started(station);
        CompletableFuture<InspectionResult> scored = pipeline.score(request, abandoned);
        scored.whenComplete((result, failure) -> stations.finished(station));
        if (journal.isEmpty()) {
            return scored.thenApply(ResultJournal::unrecorded);
        }
        Optional<PartResults> views = parts.filter(p -> p.needsViews(request.product()));
        if (views.isPresent() && !request.part().id().isEmpty()) {
            scored.whenComplete((result, failure) -> {
                if (failure != null && !offeredAgain(Rejection.cause(failure))) {
                    views.get().failed(request.product(), request.part().id(), request.part().view(),
                            String.valueOf(Rejection.cause(failure).getMessage()));
                }
            });
        }
        return scored.thenCompose(result -> journal.get().record(result, request.caller(), views.isEmpty()))
                .thenApply(recorded -> {
                    evidence.ifPresent(store -> store.keep(recorded, request.image()));
                    views.ifPresent(p -> p.scored(recorded));
                    shadows.ifPresent(s -> offerToShadow(s, request, recorded));
                    return recorded;
                });
    }

    /** A shadow's trouble never fails the line's inspection, already recorded. */
    private static void offerToShadow(ShadowScoring shadows, InspectionRequest request, InspectionResult recorded) {
        try {
            shadows.offer(request, recorded);
        } catch (RuntimeException e) {
            LOG.warn("result {} was not offered to its product's shadow: {}", recorded.resultId(), e.toString());
        }
    }

    /** A camera stream's frame refused for the node's capacity: the stream offers it again when there is room. */
    private static boolean offeredAgain(Throwable cause) {
        return cause instanceof RejectedRequestException rejected && rejected.whenCapacityChanges().isPresent();
    }
}
