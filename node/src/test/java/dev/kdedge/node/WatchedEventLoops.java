package dev.kdedge.node;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A Vert.x instance for tests whose event loops are watched: a task that keeps an event loop longer than
 * {@value #MAX_EXECUTE_MS} ms is recorded with the stack it was blocked in, so a test can fail on it instead of Vert.x
 * only logging a warning. The bound is half of Vert.x's default of 2 s: a node's event-loop work takes microseconds,
 * and the margin left covers class loading on the first call and garbage collection on a loaded 2-core machine.
 */
final class WatchedEventLoops {
    static final long MAX_EXECUTE_MS = 1000;

    final Vertx vertx;
    private final List<String> blocked = new CopyOnWriteArrayList<>();

    /** @param factory makes the Vert.x from the options that watch its event loops */
    WatchedEventLoops(Function<VertxOptions, Vertx> factory) {
        vertx = factory.apply(new VertxOptions()
                .setMaxEventLoopExecuteTime(MAX_EXECUTE_MS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(100).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
        ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(event -> {
            if (event.thread().getName().startsWith("vert.x-eventloop")) {
                blocked.add(event.thread().getName() + " blocked for " + event.duration() / 1_000_000 + " ms at\n    "
                        + Arrays.stream(event.thread().getStackTrace()).limit(12).map(String::valueOf)
                                .collect(Collectors.joining("\n    ")));
            }
        });
    }

    /** Every time an event loop was blocked so far, each with where. */
    List<String> blocked() {
        return List.copyOf(blocked);
    }
}
