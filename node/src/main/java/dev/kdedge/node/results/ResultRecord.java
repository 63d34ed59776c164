package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.InspectionResult.StageTimes;
import dev.kdedge.node.inspection.Part;
import java.time.Instant;

/**
 * One result as the journal keeps it.
 *
 * @param client who asked: a certificate's subject, or the client's address
 */
public record ResultRecord(long resultId, Part part, String product, int version, String precision, double rawScore,
        double normalizedScore, double threshold, Evaluation evaluation, StageTimes timings, Instant recordedAt,
        String client) {}
