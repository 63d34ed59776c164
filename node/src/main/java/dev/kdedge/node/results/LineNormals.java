package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Normals collected from the line itself: the kept image of an OK result, for its product's next fine-tune. */
public final class LineNormals {
    private final Optional<ResultJournal> journal;
    private final Optional<EvidenceStore> evidence;

    /** An image the node judged OK, and the product it was judged for. */
    public record Normal(String product, byte[] image) {}

    public LineNormals(Optional<ResultJournal> journal, Optional<EvidenceStore> evidence) {
        this.journal = journal;
        this.evidence = evidence;
    }

    /**
     * @return fails with NoSuchElementException when the result or its image is not kept, IllegalStateException when
     *     the result was not OK or the node keeps no images
     */
    public CompletableFuture<Normal> of(long resultId) {
        if (journal.isEmpty() || evidence.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "this node keeps no images of results (journal.enabled or journal.images.enabled is false)"));
        }
        return journal.get().byId(resultId).thenCompose(found -> {
            ResultRecord result = found.orElseThrow(() -> new NoSuchElementException("no result " + resultId
                    + " in the journal"));
            if (result.evaluation() != Evaluation.OK) {
                throw new IllegalStateException("result " + resultId + " was " + result.evaluation()
                        + ": only an OK result's image is a normal");
            }
            return evidence.get().read(resultId).thenApply(kept -> new Normal(result.product(), kept.orElseThrow(
                    () -> new NoSuchElementException("the image of result " + resultId + " is not kept (one OK "
                            + "result in journal.images.keepOkOneIn is, and the oldest make room for newer ones)"))
                    .image()));
        });
    }
}
