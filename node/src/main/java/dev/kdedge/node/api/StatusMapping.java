package dev.kdedge.node.api;

import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC status and message a client receives for a failure. */
record StatusMapping(GrpcStatus status, String message) {
    private static final Logger LOG = LoggerFactory.getLogger(StatusMapping.class);

    /**
     * Answers a call with this status before anything of it is read, below the gRPC layer: a trailers-only response.
     * The message must be printable ASCII without '%' (it is not percent-encoded here).
     */
    Future<Void> endBeforeReading(HttpServerResponse response) {
        return response.putHeader("content-type", "application/grpc")
                .putHeader("grpc-status", Integer.toString(status.code)).putHeader("grpc-message", message).end();
    }

    static StatusMapping of(Throwable failure) {
        Throwable cause = Rejection.cause(failure);
        if (cause instanceof UnreadableMessageException unreadable) {
            return unreadable.status();
        }
        Rejection rejection = Rejection.of(cause);
        if (rejection == Rejection.INTERNAL && !(cause instanceof RejectedRequestException)) {
            LOG.error("request failed", cause);
            return new StatusMapping(GrpcStatus.INTERNAL, "internal error: " + cause);
        }
        return new StatusMapping(GrpcStatus.valueOf(rejection.name()), cause.getMessage());
    }
}
