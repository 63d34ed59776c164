package dev.kdedge.node.api;

import dev.kdedge.node.inference.RejectedRequestException;
import io.vertx.grpc.common.GrpcStatus;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC status and message a client receives for a failure. */
record StatusMapping(GrpcStatus status, String message) {
    private static final Logger LOG = LoggerFactory.getLogger(StatusMapping.class);

    static StatusMapping of(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof RejectedRequestException rejected) {
            return new StatusMapping(GrpcStatus.valueOf(rejected.reason().name()), rejected.getMessage());
        }
        if (cause instanceof IllegalArgumentException) {
            return new StatusMapping(GrpcStatus.INVALID_ARGUMENT, cause.getMessage());
        }
        LOG.error("request failed", cause);
        return new StatusMapping(GrpcStatus.INTERNAL, "internal error: " + cause);
    }
}
