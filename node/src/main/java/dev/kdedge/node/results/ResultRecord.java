package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.InspectionResult.StageTimes;
import dev.kdedge.node.inspection.Part;
import java.time.Instant;
import java.util.List;

/**
 * One result as the journal keeps it.
 *
 * @param client who asked: a certificate's subject, or the client's address; empty for a part decided from its views
 * @param partResult whether this is the part's result (see {@link PartResults})
 * @param viewResultIds for a part decided from its views, their results
 * @param note why a part is NOT_DECIDABLE; empty otherwise
 */
public record ResultRecord(long resultId, Part part, String product, int version, String precision, double rawScore,
        double normalizedScore, double threshold, Evaluation evaluation, StageTimes timings, Instant recordedAt,
        String client, boolean partResult, List<Long> viewResultIds, String note) {}
