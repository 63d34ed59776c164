package dev.kdedge.node.security;

import dev.kdedge.api.v1.InspectionGrpcService;
import dev.kdedge.api.v1.LineGrpcService;
import dev.kdedge.api.v1.ModelsGrpcService;
import dev.kdedge.api.v1.ResultsGrpcService;
import io.vertx.grpc.common.ServiceMethod;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** What a call does, as far as access is concerned; every RPC of the node is one of these. */
public enum CallKind {
    /** The Inspection service: scoring images. */
    INSPECT,
    /** The Models RPCs that change the store: uploads, normals from results, fine-tunes, promote, rollback, policy. */
    CHANGE_STORE,
    /** The Results service, and the Line service's reads: what the node decided for every camera's parts. */
    READ_RESULTS,
    /** The Line service's handshake: switching a station's recipe, acknowledging its results. */
    LINE_CONTROL,
    /** Everything else: listing and describing products, job status, health, server reflection. */
    READ;

    private static final Set<String> STORE_CHANGES = Stream.<ServiceMethod<?, ?>>of(ModelsGrpcService.UploadNormals,
                    ModelsGrpcService.KeepResultAsNormal, ModelsGrpcService.StartFineTune, ModelsGrpcService.CancelJob,
                    ModelsGrpcService.Promote, ModelsGrpcService.Rollback, ModelsGrpcService.SetThresholdPolicy,
                    ModelsGrpcService.MoveThreshold, ModelsGrpcService.ResetThreshold,
                    ModelsGrpcService.SetDontCareRegion)
            .map(ServiceMethod::fullMethodName).collect(Collectors.toUnmodifiableSet());
    private static final String INSPECTION = InspectionGrpcService.SERVICE_NAME.fullyQualifiedName() + "/";
    private static final String RESULTS = ResultsGrpcService.SERVICE_NAME.fullyQualifiedName() + "/";
    private static final Set<String> LINE_READS = Stream.<ServiceMethod<?, ?>>of(LineGrpcService.ListStations,
            LineGrpcService.GetStation).map(ServiceMethod::fullMethodName).collect(Collectors.toUnmodifiableSet());
    private static final String LINE = LineGrpcService.SERVICE_NAME.fullyQualifiedName() + "/";

    /** @param fullMethodName {@code package.Service/Method}, as in the request's path without its leading slash */
    public static CallKind of(String fullMethodName) {
        if (fullMethodName.startsWith(INSPECTION)) {
            return INSPECT;
        }
        if (fullMethodName.startsWith(RESULTS) || LINE_READS.contains(fullMethodName)) {
            return READ_RESULTS;
        }
        if (fullMethodName.startsWith(LINE)) {
            return LINE_CONTROL;
        }
        return STORE_CHANGES.contains(fullMethodName) ? CHANGE_STORE : READ;
    }
}
