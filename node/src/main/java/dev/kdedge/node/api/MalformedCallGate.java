package dev.kdedge.node.api;

import dev.kdedge.node.metrics.CallMetrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcStatus;

/**
 * The first look at every call, below the gRPC layer: what vertx-grpc (5.0.7, and 5.0.9 alike) would leave without
 * an answer, or answer by echoing the client's bytes into a header, is answered here.
 * <ul>
 *   <li>A path that is not {@code /Service/Method} in printable ASCII (control characters, no leading slash): vertx-grpc
 *       echoes it into {@code grpc-message}, which HTTP/2 refuses to send, and the call hangs. Answered UNIMPLEMENTED
 *       without the path.
 *   <li>A {@code grpc-encoding} other than identity and gzip: UNIMPLEMENTED, with {@code grpc-accept-encoding}, as the
 *       gRPC protocol says.
 *   <li>No {@code grpc-encoding} (identity) or gzip: renamed ({@link RequestMessages#NONE}, {@link RequestMessages#GZIP})
 *       so that vertx-grpc passes compressed messages on as they came, and {@link RequestMessages} decodes them within
 *       bounds; vertx-grpc throws on a message flagged compressed without an encoding, and inflates gzip without any
 *       limit. Server reflection, which is vertx-grpc's own, is spoken uncompressed only.
 * </ul>
 */
public final class MalformedCallGate implements Handler<HttpServerRequest> {
    private static final String GRPC_ENCODING = "grpc-encoding";
    private static final String REFLECTION = "/grpc.reflection.";

    private final Handler<HttpServerRequest> next;
    private final CallMetrics metrics;

    public MalformedCallGate(Handler<HttpServerRequest> next, CallMetrics metrics) {
        this.next = next;
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpServerRequest request) {
        String path = request.uri();
        String encoding = request.getHeader(GRPC_ENCODING);
        boolean reflection = path.startsWith(REFLECTION);
        if (!isMethodPath(path)) {
            refuse(request, "no such method: the request path is not /package.Service/Method in printable ASCII");
        } else if (encoding != null && !encoding.equals("identity") && (reflection || !encoding.equals("gzip"))) {
            refuse(request, reflection ? "server reflection takes uncompressed messages only"
                    : "grpc-encoding not supported: send messages uncompressed or gzip");
        } else {
            request.headers().set(GRPC_ENCODING, reflection ? "identity"
                    : encoding == null || encoding.equals("identity") ? RequestMessages.NONE : RequestMessages.GZIP);
            next.handle(request);
        }
    }

    /** A trailers-only gRPC answer, written before anything of the call is read. */
    private void refuse(HttpServerRequest request, String message) {
        metrics.failed("", GrpcStatus.UNIMPLEMENTED);
        new StatusMapping(GrpcStatus.UNIMPLEMENTED, message)
                .endBeforeReading(request.response().putHeader("grpc-accept-encoding", "gzip"));
    }

    private static boolean isMethodPath(String path) {
        return path != null && path.length() >= 4 && path.charAt(0) == '/' && path.indexOf('/', 1) >= 2
                && path.chars().allMatch(c -> c > 0x20 && c < 0x7F);
    }
}
