package dev.kdedge.node.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kdedge.node.security.ClientIdentity;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code server.maxResetsPerWindow} per client across its connections. The HTTP/2 layer counts resets per connection,
 * so a client that reconnects every few hundred resets (the "rapid reset" attack, spread out) would never be stopped.
 * Here every call its client abandons before the answer and before the deadline it gave (a reset stream) counts
 * against the client (a call that ran out of time is the node's slowness, not the client's doing), identified by
 * {@link ClientIdentity#acrossConnections}; past the limit within {@code server.resetWindowSeconds}, for one window
 * every call it makes is answered UNAVAILABLE saying why and its connection closed (refusing the connection itself
 * would only make gRPC clients retry the call unseen). Calls ended by a connection that closed do not count: a camera
 * whose network drops is not abusing anything.
 */
public final class ClientResetLimit implements Handler<HttpServerRequest> {
    private static final long ENHANCE_YOUR_CALM = 0xB;
    private static final String REFUSED = "this client abandoned too many calls (server.maxResetsPerWindow): refused "
            + "for server.resetWindowSeconds";
    /** Clients whose budgets are kept at most; one with no abandoned call for two windows is forgotten. */
    private static final int TRACKED_CLIENTS = 10_000;

    private final Handler<HttpServerRequest> next;
    private final ConnectionLog log;
    private final int maxResets;
    private final long windowNanos;
    private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();
    private final Cache<Object, Budget> budgets;

    /** One client's abandoned calls in its current window; guarded by itself. */
    private static final class Budget {
        long windowStart;
        int resets;
        long blockedUntil;
    }

    public ClientResetLimit(Handler<HttpServerRequest> next, ConnectionLog log, int maxResets, int windowSeconds) {
        this.next = next;
        this.log = log;
        this.maxResets = maxResets;
        this.windowNanos = TimeUnit.SECONDS.toNanos(windowSeconds);
        this.budgets = Caffeine.newBuilder().maximumSize(TRACKED_CLIENTS)
                .expireAfterAccess(Duration.ofSeconds(2L * windowSeconds)).build();
    }

    /** The server's connection handler: tells connections that close from streams reset alone. */
    public void watch(HttpConnection connection) {
        open.add(connection);
        connection.closeHandler(closed -> open.remove(connection));
    }

    @Override
    public void handle(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        Object client = ClientIdentity.acrossConnections(connection);
        if (blocked(client)) {
            new StatusMapping(GrpcStatus.UNAVAILABLE, REFUSED).endBeforeReading(request.response())
                    .onComplete(answered -> close(connection, REFUSED));
            return;
        }
        HttpServerResponse response = request.response();
        Context context = Vertx.currentContext();
        long deadline = GrpcTimeout.deadlineNanos(request.getHeader("grpc-timeout"));
        response.endHandler(ended -> {
            if (!response.ended() && System.nanoTime() - deadline < 0) {
                // A connection that closes ends its streams first and runs its close handler after: by the next turn
                // of the event loop it is known whether this stream was reset alone.
                context.runOnContext(next -> {
                    if (open.contains(connection)) {
                        abandoned(client, connection);
                    }
                });
            }
        });
        next.handle(request);
    }

    private void abandoned(Object client, HttpConnection connection) {
        long now = System.nanoTime();
        Budget budget = budgets.get(client, c -> new Budget());
        boolean exceeded;
        synchronized (budget) {
            if (budget.resets == 0 || now - budget.windowStart >= windowNanos) {
                budget.windowStart = now;
                budget.resets = 0;
            }
            budget.resets++;
            exceeded = budget.resets > maxResets && budget.blockedUntil - now <= 0;
            if (exceeded) {
                budget.blockedUntil = now + windowNanos;
            }
        }
        if (exceeded) {
            close(connection, "this client abandoned more than " + maxResets + " calls within "
                    + TimeUnit.NANOSECONDS.toSeconds(windowNanos) + " s across its connections");
        }
    }

    /** GOAWAY ENHANCE_YOUR_CALM with the reason, which gRPC clients put in their status, then the connection closes. */
    private void close(HttpConnection connection, String why) {
        log.closed(connection, "client_resets", why);
        connection.goAway(ENHANCE_YOUR_CALM, -1, Buffer.buffer(why));
        connection.close();
    }

    private boolean blocked(Object client) {
        Budget budget = budgets.getIfPresent(client);
        if (budget == null) {
            return false;
        }
        synchronized (budget) {
            return budget.blockedUntil != 0 && budget.blockedUntil - System.nanoTime() > 0;
        }
    }
}
