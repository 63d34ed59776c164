package dev.kdedge.node.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;

/**
 * A call's request whose body reaches vertx-grpc one whole gRPC message per buffer ({@link WholeMessages}).
 * vertx-grpc (5.0.7) assembles a message that spans HTTP/2 frames by appending each frame to the first, and Netty
 * grows a buffer by doubling up to 4 MiB and by 4 MiB after: a 12 MB camera frame sent in the message was copied
 * three times over on the event loop, through buffers of 4, 8, 12 and 16 MiB, each a humongous allocation for G1.
 * Cut into whole messages first, it is copied once, into a buffer of its size, and vertx-grpc's own reading
 * (prefixes, size limit, compression flags) sees the same bytes. What is held for a message is what vertx-grpc would
 * have held by then, which HTTP/2 flow control bounds.
 * <p>
 * Vert.x's {@link HttpServerRequestWrapper} is its internal API for wrapping a request (vertx-grpc needs the
 * request's internals, its context, which a plain delegate would not have).
 */
public final class WholeMessageRequest extends HttpServerRequestWrapper {
    private final WholeMessages messages;
    private Handler<Buffer> body;

    private WholeMessageRequest(HttpServerRequest request, long maxMessageBytes) {
        super((HttpServerRequestInternal) request);
        this.messages = new WholeMessages(maxMessageBytes);
    }

    /** Hands each request on to {@code next} as a {@code WholeMessageRequest}. */
    public static Handler<HttpServerRequest> around(Handler<HttpServerRequest> next, long maxMessageBytes) {
        return request -> next.handle(new WholeMessageRequest(request, maxMessageBytes));
    }

    @Override
    public HttpServerRequest handler(Handler<Buffer> handler) {
        body = handler;
        delegate.handler(handler == null ? null : frame -> messages.cut(frame, handler));
        return this;
    }

    /**
     * vertx-grpc resumes the request whenever its queue of messages drains, also once the body has ended, which Vert.x
     * refuses by throwing on the event loop ("Request has already been read", seen on UploadNormals streams with
     * and without this wrapper): an ended request has nothing left to fetch.
     */
    @Override
    public HttpServerRequest fetch(long amount) {
        if (!delegate.isEnded()) {
            delegate.fetch(amount);
        }
        return this;
    }

    @Override
    public HttpServerRequest resume() {
        return fetch(Long.MAX_VALUE);
    }

    @Override
    public HttpServerRequest endHandler(Handler<Void> handler) {
        delegate.endHandler(handler == null ? null : end -> {
            if (body != null) {
                messages.end(body);
            }
            handler.handle(end);
        });
        return this;
    }
}
