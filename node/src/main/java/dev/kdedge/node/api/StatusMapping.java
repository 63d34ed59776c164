package dev.kdedge.node.api;

import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.store.StoreFullException;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.calibration.store.UnknownVersionException;
import dev.kdedge.node.inspection.RejectedRequestException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
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
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof UnreadableMessageException unreadable) {
            return unreadable.status();
        }
        if (cause instanceof RejectedRequestException rejected) {
            return new StatusMapping(GrpcStatus.valueOf(rejected.reason().name()), rejected.getMessage());
        }
        if (cause instanceof StoreFullException) {
            return new StatusMapping(GrpcStatus.RESOURCE_EXHAUSTED, cause.getMessage());
        }
        if (cause instanceof IllegalArgumentException) {
            return new StatusMapping(GrpcStatus.INVALID_ARGUMENT, cause.getMessage());
        }
        if (cause instanceof UnknownProductException || cause instanceof UnknownVersionException
                || cause instanceof NoSuchElementException) {
            return new StatusMapping(GrpcStatus.NOT_FOUND, cause.getMessage());
        }
        // The store's state does not allow it (no earlier version to roll back to, a missing version, too few
        // images, a job that has ended): the client must change something first.
        if (cause instanceof StoreException || cause instanceof IllegalStateException) {
            return new StatusMapping(GrpcStatus.FAILED_PRECONDITION, cause.getMessage());
        }
        LOG.error("request failed", cause);
        return new StatusMapping(GrpcStatus.INTERNAL, "internal error: " + cause);
    }
}
