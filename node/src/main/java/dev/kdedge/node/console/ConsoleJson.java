package dev.kdedge.node.console;

import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.node.audit.Change;
import dev.kdedge.node.audit.Review;
import dev.kdedge.node.models.ProductDetails;
import dev.kdedge.node.models.VersionDetails;
import dev.kdedge.node.results.ResultRecord;
import dev.kdedge.node.results.ScoreDrift;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/** The console's JSON: the core's products, results, reviews and changes as the page reads them. */
final class ConsoleJson {
    private ConsoleJson() {}

    static JsonObject result(ResultRecord r, boolean imageKept, Optional<Review> review) {
        JsonObject json = new JsonObject().put("resultId", r.resultId()).put("partId", r.part().id())
                .put("station", r.part().station()).put("view", r.part().view()).put("product", r.product())
                .put("version", r.version()).put("rawScore", r.rawScore()).put("threshold", r.threshold())
                .put("evaluation", r.evaluation().name()).put("totalMs", r.timings().totalMs())
                .put("recordedAt", r.recordedAt().toEpochMilli()).put("note", r.note()).put("imageKept", imageKept);
        review.ifPresent(reviewed -> json.put("review", review(reviewed)));
        return json;
    }

    static JsonObject review(Review review) {
        return new JsonObject().put("resultId", review.resultId()).put("evaluation", review.evaluation().name())
                .put("reviewer", review.reviewer().name()).put("at", review.at().toEpochMilli());
    }

    static JsonObject change(Change change) {
        return new JsonObject().put("changeId", change.changeId()).put("at", change.at().toEpochMilli())
                .put("who", change.who().name()).put("door", change.who().door()).put("action", change.action())
                .put("product", change.product()).put("subject", change.subject()).put("before", change.before())
                .put("after", change.after());
    }

    static JsonObject product(ProductDetails product, Optional<ScoreDrift.Reading> drift) {
        JsonArray versions = new JsonArray();
        JsonObject json = new JsonObject().put("product", product.product())
                .put("activeVersion", product.activeVersion())
                .put("previousActiveVersions", new JsonArray(product.previousActiveVersions()))
                .put("versions", versions);
        product.servingProblem().ifPresent(problem -> json.put("servingProblem", problem));
        drift.ifPresent(reading -> json.put("drift", new JsonObject().put("version", reading.version())
                .put("statistic", reading.statistic()).put("recent", reading.recent())
                .put("heldOut", reading.heldOut()).put("at", reading.at().toEpochMilli())));
        for (VersionDetails version : product.versions()) {
            Manifest m = version.manifest();
            ScoreCalibration c = m.threshold().calibration();
            JsonObject v = new JsonObject().put("version", version.version()).put("active", version.active())
                    .put("method", m.method()).put("createdAt", m.createdAt()).put("parentVersion", m.parentVersion())
                    .put("threshold", c.threshold()).put("reviewFrom", c.reviewFrom())
                    .put("fittedThreshold", m.threshold().fittedThreshold())
                    .put("thresholdSource", m.threshold().source());
            Manifest.SyntheticCheck synthetic = m.threshold().synthetic();
            if (synthetic != null && synthetic.normalScores() != null) {
                v.put("heldOutNormalScores", new JsonArray(synthetic.normalScores()))
                        .put("syntheticDefectScores", new JsonArray(synthetic.defectScores()));
            }
            versions.add(v);
        }
        return json;
    }
}
