package dev.kdedge.node.api;

import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.metrics.CallMetrics;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;

/**
 * Once shutdown has begun, refuses every new call UNAVAILABLE before any of it is read, so that a client goes to
 * another node or retries after the restart; health checks still pass (they answer NOT_SERVING). HTTP/2's GOAWAY
 * alone does not stop a client that has not read it yet from starting a call on its open connection.
 */
public final class StoppingGate implements Handler<HttpServerRequest> {
    private static final String HEALTH = "/grpc.health.v1.Health/";
    private static final String REFUSAL = "kdedge-node is shutting down and takes no new calls: call another node, or "
            + "this one once it has restarted";

    private final ServingState state;
    private final Handler<HttpServerRequest> next;
    private final GrpcServer refusals;

    public StoppingGate(Vertx vertx, ServingState state, Handler<HttpServerRequest> next, CallMetrics metrics) {
        this.state = state;
        this.next = next;
        this.refusals = GrpcServer.server(vertx).callHandler(call -> {
            metrics.failed(call.methodName(), GrpcStatus.UNAVAILABLE);
            call.response().status(GrpcStatus.UNAVAILABLE).statusMessage(REFUSAL).end();
        });
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (state.phase() == ServingState.Phase.STOPPING && !request.path().startsWith(HEALTH)) {
            refusals.handle(request);
        } else {
            next.handle(request);
        }
    }
}
