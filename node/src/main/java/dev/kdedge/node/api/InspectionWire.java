package dev.kdedge.node.api;

import com.google.protobuf.UnsafeByteOperations;
import dev.kdedge.api.v1.Heatmap;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.api.v1.StageTimings;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.Part;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;

/**
 * The gRPC contract's inspection messages to the core's types and back. Only what the wire can say and the core
 * cannot hold is refused here (an enum number no version of the contract has); what a request means is checked by
 * {@link InspectionRequest#validate}, the same for every door. Protobuf's unsigned fields arrive as Java ints: they are
 * handed over unsigned, so that a value out of range is reported as the client sent it.
 */
final class InspectionWire {
    private InspectionWire() {}

    /**
     * @param image the request's image, from its {@link ImageSources}; null where it has none
     * @throws RejectedRequestException INVALID_ARGUMENT for an enum value the contract does not have
     */
    static InspectionRequest request(ScoreRequest request, ImageInput image, long deadlineNanos, Object client,
            String caller) {
        HeatmapOptions heatmap = request.getHeatmap();
        if (heatmap.getFormat() == HeatmapOptions.Format.UNRECOGNIZED) {
            throw invalid("unknown heatmap format " + heatmap.getFormatValue());
        }
        return new InspectionRequest(request.getProduct(), Integer.toUnsignedLong(request.getModelVersion()), image,
                new HeatmapWish(HeatmapWish.Format.valueOf(heatmap.getFormat().name()),
                        Integer.toUnsignedLong(heatmap.getWidth()), Integer.toUnsignedLong(heatmap.getHeight())),
                deadlineNanos, client, new Part(request.getPartId(), request.getStation(), request.getView()), caller);
    }

    static ScoreResponse response(InspectionResult result) {
        InspectionResult.Verdict verdict = result.verdict();
        InspectionResult.StageTimes timings = verdict.timings();
        ScoreResponse.Builder response = ScoreResponse.newBuilder().setVerdict(Verdict.newBuilder()
                .setProduct(verdict.product())
                .setModelVersion(Integer.toString(verdict.version()))
                .setRawScore(verdict.rawScore())
                .setNormalizedScore(verdict.normalizedScore())
                .setIsAnomalous(verdict.anomalous())
                .setThreshold(verdict.threshold())
                .setPrecision(verdict.precision())
                .setResultId(result.resultId())
                .setPartId(result.part().id())
                .setStation(result.part().station())
                .setView(result.part().view())
                .setEvaluation(evaluation(result.evaluation()))
                .setTimings(StageTimings.newBuilder()
                        .setDecodeMs(timings.decodeMs())
                        .setPreprocessMs(timings.preprocessMs())
                        .setInferenceMs(timings.inferenceMs())
                        .setAnomalyMapMs(timings.anomalyMapMs())
                        .setHeatmapMs(timings.heatmapMs())
                        .setTotalMs(timings.totalMs())
                        .setBatchSize(timings.batchSize())));
        if (verdict.reviewFrom() != null) {
            response.getVerdictBuilder().setReviewFrom(verdict.reviewFrom());
        }
        // the rendered bytes are the reply's own: wrapped, not copied
        result.heatmap().ifPresent(heatmap -> response.setHeatmap(Heatmap.newBuilder()
                .setFormat(HeatmapOptions.Format.valueOf(heatmap.format().name())).setWidth(heatmap.width())
                .setHeight(heatmap.height()).setData(UnsafeByteOperations.unsafeWrap(heatmap.data()))));
        return response.build();
    }

    static dev.kdedge.api.v1.Evaluation evaluation(Evaluation evaluation) {
        return dev.kdedge.api.v1.Evaluation.valueOf(evaluation.name());
    }

    private static RejectedRequestException invalid(String message) {
        return new RejectedRequestException(Rejection.INVALID_ARGUMENT, message);
    }
}
