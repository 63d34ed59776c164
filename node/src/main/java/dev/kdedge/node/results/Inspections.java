package dev.kdedge.node.results;

import dev.kdedge.node.inference.ScoringPipeline;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What every door calls to inspect an image: scored by the pipeline, recorded in the journal and handed back once
 * recorded (or unrecorded, when the journal is off or cannot write); the image of a result worth keeping goes to the
 * evidence store afterwards.
 */
public final class Inspections {
    private final ScoringPipeline pipeline;
    private final Optional<ResultJournal> journal;
    private final Optional<EvidenceStore> evidence;

    public Inspections(ScoringPipeline pipeline, Optional<ResultJournal> journal, Optional<EvidenceStore> evidence) {
        this.pipeline = pipeline;
        this.journal = journal;
        this.evidence = evidence;
    }

    /**
     * @param abandoned completes when the caller no longer wants the result: the request leaves the pipeline
     * @return see {@link ScoringPipeline#score}; a result with its result id and part id
     */
    public CompletableFuture<InspectionResult> inspect(InspectionRequest request, CompletionStage<?> abandoned) {
        CompletableFuture<InspectionResult> scored = pipeline.score(request, abandoned);
        if (journal.isEmpty()) {
            return scored.thenApply(ResultJournal::unrecorded);
        }
        return scored.thenCompose(result -> journal.get().record(result, request.caller())).thenApply(recorded -> {
            evidence.ifPresent(store -> store.keep(recorded, request.image()));
            return recorded;
        });
    }
}
