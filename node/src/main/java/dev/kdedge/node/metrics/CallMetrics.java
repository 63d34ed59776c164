package dev.kdedge.node.metrics;

import com.google.protobuf.Descriptors;
import dev.kdedge.api.v1.InspectionGrpcService;
import dev.kdedge.api.v1.ModelsGrpcService;
import dev.kdedge.node.inspection.InspectionResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the node's calls did, per product and version: how long each stage of scoring took and each call end to end
 * (histograms), verdicts and the distribution of normalized scores, and calls answered with an error, by status.
 */
public final class CallMetrics {
    /** Histogram buckets for latencies, from a fast inference on a GPU to a large image's decode. */
    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(20), Duration.ofMillis(35), Duration.ofMillis(50), Duration.ofMillis(75),
        Duration.ofMillis(100), Duration.ofMillis(150), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};
    /** Normalized scores: 0.5 is the product's threshold. */
    private static final double[] SCORE_BUCKETS = {0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0};

    /**
     * The methods a label may name. A refused call's method comes from the path its client sent, so any other name is
     * counted as "other": a client cannot make up series.
     */
    private static final Set<String> RPCS = Stream.of(InspectionGrpcService.SERVICE_DESCRIPTOR,
                    ModelsGrpcService.SERVICE_DESCRIPTOR)
            .flatMap(service -> service.getMethods().stream()).map(Descriptors.MethodDescriptor::getName)
            .collect(Collectors.toUnmodifiableSet());

    private final MeterRegistry registry;

    public CallMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * An image scored and answered.
     *
     * @param rpc the method (Score, Inspect, InspectStream)
     * @param receivedNanos {@link System#nanoTime()} when its request was read
     */
    public void scored(String rpc, InspectionResult result, long receivedNanos) {
        InspectionResult.Verdict verdict = result.verdict();
        String product = verdict.product();
        String version = Integer.toString(verdict.version());
        Timer.builder("kdedge.request.duration").description("from the request read to its reply, on the node")
                .tags("rpc", rpc, "product", product, "version", version).serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry).record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
        InspectionResult.StageTimes timings = verdict.timings();
        stage(product, version, "decode", timings.decodeMs());
        stage(product, version, "preprocess", timings.preprocessMs());
        stage(product, version, "inference", timings.inferenceMs());
        stage(product, version, "anomaly_map", timings.anomalyMapMs());
        stage(product, version, "heatmap", timings.heatmapMs());
        Counter.builder("kdedge.verdicts").tags("product", product, "version", version,
                "verdict", switch (verdict.evaluation()) {
                    case OK -> "ok";
                    case NOT_OK -> "defect";
                    case NOT_DECIDABLE -> "review";
                }).register(registry).increment();
        DistributionSummary.builder("kdedge.score.normalized").description("0.5 is the threshold")
                .tags("product", product, "version", version).serviceLevelObjectives(SCORE_BUCKETS)
                .register(registry).record(verdict.normalizedScore());
    }

    private void stage(String product, String version, String stage, double ms) {
        Timer.builder("kdedge.stage.duration").tags("product", product, "version", version, "stage", stage)
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry)
                .record(Math.round(ms * 1e6), TimeUnit.NANOSECONDS);
    }

    /** A call, or one frame of a stream, answered with an error status (refused, invalid, expired, cancelled...). */
    public void failed(String rpc, GrpcStatus status) {
        Counter.builder("kdedge.calls.failed").tags("rpc", RPCS.contains(rpc) ? rpc : "other", "status", status.name())
                .register(registry).increment();
    }
}
