package dev.kdedge.node.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpConnection;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says when the node closes a client's connection for abusing HTTP/2 (more stream resets than {@code server} allows in
 * node.yaml: the HTTP/2 layer answers GOAWAY ENHANCE_YOUR_CALM and every call on that connection ends): a warning with
 * the peer's address and the reason, and {@code kdedge_connections_closed_total{reason}}. Other connection errors
 * are a client going away and are logged at debug level only.
 */
public final class ConnectionLog {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLog.class);

    private final MeterRegistry registry;

    public ConnectionLog(MeterRegistry registry) {
        this.registry = registry;
    }

    public void watch(HttpConnection connection) {
        connection.exceptionHandler(failure -> {
            if (failure instanceof Http2Exception http2 && http2.error() == Http2Error.ENHANCE_YOUR_CALM) {
                LOG.warn("closing the connection from {}: {} (server.maxResetsPerWindow in node.yaml)",
                        connection.remoteAddress(), failure.getMessage());
                Counter.builder("kdedge.connections.closed").description("connections the node closed for abuse")
                        .tag("reason", http2.error().name().toLowerCase(Locale.ROOT)).register(registry).increment();
            } else {
                LOG.debug("connection from {} failed", connection.remoteAddress(), failure);
            }
        });
    }
}
