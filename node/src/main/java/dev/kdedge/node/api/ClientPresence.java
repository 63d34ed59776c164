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

    private void left() {
        if (!gone) {
            gone = true;
            onGone.run();
        }
    }
}
