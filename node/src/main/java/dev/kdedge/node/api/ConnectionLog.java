package dev.kdedge.node.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpConnection;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says when the node closes a client's connection for abusing HTTP/2: more stream resets on one connection than
 * {@code server.maxResetsPerWindow} allows (the HTTP/2 layer answers GOAWAY ENHANCE_YOUR_CALM and every call on that
 * connection ends), or more calls abandoned by one client across its connections ({@link ClientResetLimit}): a
 * warning with the peer's address and the reason, and {@code kdedge_connections_closed_total{reason}}. A client that
 * reconnects and is closed again at once would fill the log: at most one such warning goes out every
 * {@value #WARN_EVERY_SECONDS} seconds, saying how many were left out since the last. Other connection errors are a
 * client going away and are logged at debug level only.
 */
public final class ConnectionLog {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLog.class);

    private static final long WARN_EVERY_SECONDS = 10;

    private final MeterRegistry registry;
    private long lastWarningNanos;
    private boolean warnedOnce;
    private int leftOut;

    public ConnectionLog(MeterRegistry registry) {
        this.registry = registry;
    }

    public void watch(HttpConnection connection) {
        connection.exceptionHandler(failure -> {
            if (failure instanceof Http2Exception http2 && http2.error() == Http2Error.ENHANCE_YOUR_CALM) {
                closed(connection, http2.error().name().toLowerCase(Locale.ROOT), failure.getMessage());
            } else {
                LOG.debug("connection from {} failed", connection.remoteAddress(), failure);
            }
        });
    }

    /** The node closes {@code connection}, or refuses it, for {@code why}; counted under {@code reason}. */
    void closed(HttpConnection connection, String reason, String why) {
        Counter.builder("kdedge.connections.closed").description("connections the node closed for abuse")
                .tag("reason", reason).register(registry).increment();
        warn(connection, why);
    }

    /** Called from any of the server's event loops. */
    private synchronized void warn(HttpConnection connection, String why) {
        long now = System.nanoTime();
        if (warnedOnce && now - lastWarningNanos < TimeUnit.SECONDS.toNanos(WARN_EVERY_SECONDS)) {
            leftOut++;
            return;
        }
        LOG.warn("closing the connection from {}: {} (server.maxResetsPerWindow in node.yaml){}",
                connection.remoteAddress(), why,
                leftOut == 0 ? "" : "; " + leftOut + " more closed for this since the last such warning");
        warnedOnce = true;
        lastWarningNanos = now;
        leftOut = 0;
    }
}
