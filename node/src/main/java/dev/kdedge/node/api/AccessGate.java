package dev.kdedge.node.api;

import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.security.AccessRules;
import dev.kdedge.node.security.CallKind;
import dev.kdedge.node.security.ClientIdentity;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Decides every call before any of it is read: calls the client's role does not allow, and store changes this node
 * does not allow at all, are answered PERMISSION_DENIED saying why; the rest go to the node's services. One gate in
 * front of all services, health and reflection included, so no service can forget to ask.
 */
public final class AccessGate implements Handler<HttpServerRequest> {
    private final GrpcServer services;
    private final GrpcServer refusals;
    private final Optional<AccessRules> rules;
    private final Optional<String> writesRefused;

    /**
     * @param rules the roles to enforce, present when TLS is mutual
     * @param writesRefused why this node does not change its store for anyone, or empty when it does
     */
    public AccessGate(Vertx vertx, GrpcServer services, Optional<AccessRules> rules, Optional<String> writesRefused,
            CallMetrics metrics) {
        this.services = services;
        this.rules = rules;
        this.writesRefused = writesRefused;
        // A second gRPC server only to answer refusals: Vert.x encodes the status and message as for any call.
        this.refusals = GrpcServer.server(vertx).callHandler(call -> {
            metrics.failed(call.methodName(), GrpcStatus.PERMISSION_DENIED);
            call.response().status(GrpcStatus.PERMISSION_DENIED)
                    .statusMessage(refusal(call.fullMethodName(), call.connection()).orElseThrow()).end();
        });
    }

    @Override
    public void handle(HttpServerRequest request) {
        String method = request.path().startsWith("/") ? request.path().substring(1) : request.path();
        if (refusal(method, request.connection()).isPresent()) {
            refusals.handle(request);
        } else {
            services.handle(request);
        }
    }

    private Optional<String> refusal(String fullMethodName, HttpConnection connection) {
        Optional<String> byRole = rules.flatMap(r -> r.refusal(fullMethodName, clientCertificate(connection)));
        if (byRole.isPresent() || CallKind.of(fullMethodName) != CallKind.CHANGE_STORE) {
            return byRole;
        }
        return writesRefused;
    }

    /** With mutual TLS the handshake has required and verified it. */
    private static X509Certificate clientCertificate(HttpConnection connection) {
        return ClientIdentity.certificate(connection)
                .orElseThrow(() -> new IllegalStateException("mutual TLS let a client in without a certificate"));
    }
}
