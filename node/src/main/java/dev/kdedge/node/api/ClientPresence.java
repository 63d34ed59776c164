package dev.kdedge.node.api;

import io.vertx.grpc.server.GrpcServerRequest;

/**
 * Whether the client of one call is still there to take a reply. A client that cancels, lets its deadline pass or
 * drops the connection resets the call's HTTP/2 stream; Vert.x reports the reset to the request's error handler
 * (not its exception handler) and from then on throws on every write to the response. So a reply that completes
 * after the client has gone must not be written, and a stream must stop and release what it holds. Confined to the
 * call's event loop, like the call.
 */
final class ClientPresence {
    private static final String VERTX_HTTP2_STREAM = "io.vertx.core.http.impl.VertxHttp2Stream";

    private boolean gone;
    private Runnable onGone = () -> {};

    ClientPresence(GrpcServerRequest<?, ?> call) {
        call.errorHandler(error -> left());
        call.exceptionHandler(failure -> left());
    }

    boolean gone() {
        return gone;
    }

    /** What to do when the client goes; runs at once if it has gone already. */
    void onGone(Runnable action) {
        onGone = action;
        if (gone) {
            action.run();
        }
    }

    /**
     * Runs a write to the call's response, unless the client has gone. Vert.x (5.0.7, and 5.0.12 alike) throws a
     * NullPointerException from {@code VertxHttp2Stream} when a response is written after the connection has torn its
     * stream down (a GOAWAY after a reset flood, a lost connection) but before the call's error handler has run: that
     * client has gone too, and the write is dropped as for any client that has.
     */
    void write(Runnable write) {
        if (gone) {
            return;
        }
        try {
            write.run();
        } catch (NullPointerException e) {
            StackTraceElement[] stack = e.getStackTrace();
            if (stack.length == 0 || !stack[0].getClassName().startsWith(VERTX_HTTP2_STREAM)) {
                throw e;
            }
            left();
        }
    }

    private void left() {
        if (!gone) {
            gone = true;
            onGone.run();
        }
    }
}
