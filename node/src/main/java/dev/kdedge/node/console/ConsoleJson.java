package dev.kdedge.node.console;

import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.node.audit.Change;
import dev.kdedge.node.audit.Review;
import dev.kdedge.node.jobs.FineTuneJob;
import dev.kdedge.node.jobs.JobEvent;
import dev.kdedge.node.models.ProductDetails;
import dev.kdedge.node.models.VersionDetails;
import dev.kdedge.node.results.ResultRecord;
import dev.kdedge.node.results.ScoreDrift;
import dev.kdedge.node.results.ShadowScoring;
import dev.kdedge.node.results.VersionComparison;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongPredicate;

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

    static JsonObject job(FineTuneJob job) {
        JsonObject json = new JsonObject().put("jobId", job.id()).put("product", job.product())
                .put("state", job.state().name()).put("epochs", job.settings().epochs())
                .put("createdAt", job.createdAt().toEpochMilli()).put("version", job.version())
                .put("reason", job.reason());
        if (job.lastEvent() != null) {
            json.put("progress", progress(job.lastEvent().what()));
        }
        return json;
    }

    /** A job's last event, as the engineer reads it. */
    private static String progress(JobEvent.What what) {
        if (what instanceof JobEvent.Queued q) {
            return "queued, " + q.position() + " ahead";
        } else if (what instanceof JobEvent.Stage stage) {
            return stage.description();
        } else if (what instanceof JobEvent.Epoch e) {
            return String.format(Locale.ROOT, "epoch %d of %d, loss %.4g, about %.0f s left", e.epoch(), e.epochs(),
                    e.loss(), e.etaSeconds());
        } else if (what instanceof JobEvent.ParityChecked p) {
            return "exported; ONNX Runtime within " + p.maxAbsDifference() + " of PyTorch";
        } else if (what instanceof JobEvent.ThresholdProposed t) {
            return "threshold " + t.threshold() + " proposed";
        } else if (what instanceof JobEvent.Done d) {
            return "version " + d.version() + " written";
        } else if (what instanceof JobEvent.Failed f) {
            return "failed: " + f.reason();
        }
        return "cancelled";
    }

    static JsonObject comparison(VersionComparison.Comparison comparison) {
        JsonArray judged = new JsonArray();
        for (VersionComparison.Judged j : comparison.judged()) {
            JsonObject part = new JsonObject().put("resultId", j.resultId()).put("partId", j.partId())
                    .put("activeScore", j.activeScore()).put("active", j.active().name())
                    .put("candidateScore", j.candidateScore()).put("candidate", j.candidate().name())
                    .put("flips", j.flips());
            j.activeOverlay().ifPresent(png -> part.put("activeOverlay", Base64.getEncoder().encodeToString(png)));
            j.candidateOverlay().ifPresent(png -> part.put("candidateOverlay",
                    Base64.getEncoder().encodeToString(png)));
            judged.add(part);
        }
        return new JsonObject().put("product", comparison.product()).put("activeVersion", comparison.activeVersion())
                .put("candidateVersion", comparison.candidateVersion()).put("compared", comparison.judged().size())
                .put("agreeing", comparison.agreeing()).put("judged", judged);
    }

    /** @param kept whether the node keeps the image of a result */
    static JsonObject shadow(Optional<ShadowScoring.Agreement> agreement, LongPredicate kept) {
        if (agreement.isEmpty()) {
            return new JsonObject().putNull("shadow");
        }
        ShadowScoring.Agreement a = agreement.get();
        ShadowScoring.Shadow shadow = a.shadow();
        return new JsonObject().put("shadow", new JsonObject().put("candidateVersion", shadow.candidateVersion())
                        .put("share", shadow.share()).put("since", shadow.since().toEpochMilli())
                        .put("startedBy", shadow.startedBy().name()))
                .put("judged", a.judged()).put("agreeing", a.agreeing()).put("skipped", a.skipped())
                .put("pairings", new JsonArray(a.pairings().stream().map(p -> new JsonObject()
                        .put("active", p.active().name()).put("candidate", p.candidate().name())
                        .put("frames", p.frames())).toList()))
                .put("disagreements", new JsonArray(a.disagreements().stream().map(j -> new JsonObject()
                        .put("resultId", j.resultId()).put("partId", j.partId()).put("activeVersion", j.activeVersion())
                        .put("active", j.active().name()).put("activeScore", j.activeScore())
                        .put("candidate", j.candidate().name()).put("candidateScore", j.candidateScore())
                        .put("at", j.at().toEpochMilli()).put("imageKept", kept.test(j.resultId()))).toList()));
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
                .put("uploadedNormals", product.uploadedNormals())
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
            if (m.dontCare() != null) {
                v.put("dontCare", new JsonObject().put("width", m.dontCare().width())
                        .put("height", m.dontCare().height()).put("coveredShare", m.dontCare().coveredShare())
                        .put("polygons", m.dontCare().polygons()).put("sha256", m.dontCare().sha256()));
            }
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
