package dev.kdedge.node.console;

import dev.kdedge.node.results.ResultRecord;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Each part's result, as the journal records it, to every open console page: Server-Sent Events, one {@code part}
 * event each. A page that reads slower than the line loses events rather than holding memory (reloading shows every
 * part again, from the journal); every page hears a comment every 15 s so that proxies keep the stream open.
 */
final class LineEvents implements AutoCloseable {
    private static final long KEEPALIVE_MILLIS = 15_000;

    private record Follower(Context context, HttpServerResponse response) {}

    private final Vertx vertx;
    private final Function<ResultRecord, JsonObject> json;
    private final Set<Follower> followers = ConcurrentHashMap.newKeySet();
    private final long keepalive;

    LineEvents(Vertx vertx, Function<ResultRecord, JsonObject> json) {
        this.vertx = vertx;
        this.json = json;
        this.keepalive = vertx.setPeriodic(KEEPALIVE_MILLIS, id -> followers.forEach(f -> f.context().runOnContext(
                v -> f.response().write(": keepalive\n\n"))));
    }

    /** Opens an event stream on the request's response. */
    void follow(RoutingContext ctx) {
        HttpServerResponse response = ctx.response().setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store").putHeader("x-accel-buffering", "no");
        Follower follower = new Follower(vertx.getOrCreateContext(), response);
        followers.add(follower);
        response.closeHandler(v -> followers.remove(follower));
        response.write("retry: 2000\n\n");
    }

    /** Called for each part's result, on the journal feed's thread. */
    void recorded(ResultRecord result) {
        if (followers.isEmpty()) {
            return;
        }
        String event = "event: part\ndata: " + json.apply(result).encode() + "\n\n";
        for (Follower follower : followers) {
            follower.context().runOnContext(v -> {
                if (!follower.response().writeQueueFull()) {
                    follower.response().write(event);
                }
            });
        }
    }

    @Override
    public void close() {
        vertx.cancelTimer(keepalive);
        followers.forEach(f -> f.context().runOnContext(v -> f.response().end()));
        followers.clear();
    }
}
