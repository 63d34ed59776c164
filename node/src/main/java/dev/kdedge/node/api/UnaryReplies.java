package dev.kdedge.node.api;

import dev.kdedge.node.metrics.CallMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Unary calls answered from a future: the request read within bounds, the reply (or the status its failure maps to)
 * written on the call's event loop, nothing written once the client has gone.
 */
final class UnaryReplies {
    private final Vertx vertx;
    private final RequestMessages messages;
    private final CallMetrics metrics;

    UnaryReplies(Vertx vertx, RequestMessages messages, CallMetrics metrics) {
        this.vertx = vertx;
        this.messages = messages;
        this.metrics = metrics;
    }

    <Req, Resp> void answer(GrpcServerRequest<Req, Resp> call, ServiceMethod<Req, Resp> method,
            Function<Req, CompletableFuture<Resp>> action) {
        Context context = vertx.getOrCreateContext();
        ClientPresence client = new ClientPresence(call);
        messages.single(call, method).onSuccess(request -> {
            CompletableFuture<Resp> reply;
            try {
                reply = action.apply(request);
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((response, failure) -> context.runOnContext(v -> {
                if (failure != null) {
                    fail(call, client, StatusMapping.of(failure));
                } else {
                    client.write(() -> call.response().end(response));
                }
            }));
        }).onFailure(failure -> fail(call, client, StatusMapping.of(failure)));
    }

    /** Ends the call with {@code status}, unless its client has gone. */
    void fail(GrpcServerRequest<?, ?> call, ClientPresence client, StatusMapping status) {
        if (!client.gone()) {
            metrics.failed(call.methodName(), status.status());
            client.write(() -> call.response().status(status.status()).statusMessage(status.message()).end());
        }
    }
}
