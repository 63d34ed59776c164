package dev.kdedge.node.audit;

import dev.kdedge.node.inspection.Evaluation;
import java.time.Instant;

/**
 * A person's decision on a result the node could not decide (or decided wrongly): labeled data for evaluation, and
 * for an OK part, a normal for the next fine-tune.
 *
 * @param rawScore the score the node gave the result, kept beside the label so the label stays usable after the
 *     journal's retention removes the result
 */
public record Review(long resultId, String product, int version, double rawScore, Evaluation evaluation,
        Actor reviewer, Instant at) {}
