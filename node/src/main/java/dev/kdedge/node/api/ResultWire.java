package dev.kdedge.node.api;

import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.StageTimings;
import dev.kdedge.node.inspection.InspectionResult.StageTimes;
import dev.kdedge.node.results.EvidenceStore;
import dev.kdedge.node.results.ResultRecord;
import java.util.Optional;

/** The journal's results as the contract's {@link InspectionRecord}, saying whether the node holds each one's image. */
final class ResultWire {
    private final Optional<EvidenceStore> evidence;

    ResultWire(Optional<EvidenceStore> evidence) {
        this.evidence = evidence;
    }

    InspectionRecord record(ResultRecord result) {
        StageTimes t = result.timings();
        return InspectionRecord.newBuilder().setResultId(result.resultId()).setPartId(result.part().id())
                .setStation(result.part().station()).setView(result.part().view()).setProduct(result.product())
                .setModelVersion(result.version()).setPrecision(result.precision()).setRawScore(result.rawScore())
                .setNormalizedScore(result.normalizedScore()).setThreshold(result.threshold())
                .setEvaluation(InspectionWire.evaluation(result.evaluation()))
                .setTimings(StageTimings.newBuilder().setDecodeMs(t.decodeMs()).setPreprocessMs(t.preprocessMs())
                        .setInferenceMs(t.inferenceMs()).setAnomalyMapMs(t.anomalyMapMs()).setHeatmapMs(t.heatmapMs())
                        .setTotalMs(t.totalMs()).setBatchSize(t.batchSize()))
                .setRecordedAt(result.recordedAt().toString()).setClient(result.client())
                .setImageKept(evidence.map(store -> store.holds(result.resultId())).orElse(false))
                .setPartResult(result.partResult()).addAllViewResultIds(result.viewResultIds()).setNote(result.note())
                .build();
    }
}
