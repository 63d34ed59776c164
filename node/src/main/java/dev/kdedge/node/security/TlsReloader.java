package dev.kdedge.node.security;

import dev.kdedge.node.config.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.ServerSSLOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the TLS files again every {@code tls.reloadSeconds} and, when their contents changed and still make a usable
 * certificate and key, gives them to the server: connections opened after that use them, open ones keep theirs.
 * Files that do not check out (a rotation half written) are logged once and the current ones stay in use.
 */
public final class TlsReloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);

    private final Vertx vertx;
    private final HttpServer http;
    private final NodeConfig.Tls tls;
    private final long timer;
    private ServerSSLOptions serving;
    private TlsFiles current;
    private TlsFiles lastRefused;

    public TlsReloader(Vertx vertx, HttpServer http, NodeConfig.Tls tls, ServerSSLOptions serving, TlsFiles current) {
        this.vertx = vertx;
        this.http = http;
        this.tls = tls;
        this.serving = serving;
        this.current = current;
        this.timer = vertx.setPeriodic(tls.reloadSeconds * 1000L, id -> reload());
    }

    private void reload() {
        TlsFiles.read(vertx, tls, current.setting()).onSuccess(read -> {
            if (read.equals(current) || read.equals(lastRefused)) {
                return;
            }
            ServerSSLOptions next = read.replacing(serving);
            vertx.executeBlocking(() -> read.verified(vertx))
                    .compose(verified -> http.updateSSLOptions(next, true))
                    .onSuccess(updated -> {
                        serving = next;
                        current = read;
                        LOG.info("{}: certificate reloaded from {}; new connections use it", current.setting(),
                                tls.certificate);
                    })
                    .onFailure(e -> {
                        lastRefused = read;
                        LOG.warn("{}: files changed but cannot be used, still serving the previous ones: {}",
                                current.setting(), e.getMessage());
                    });
        }).onFailure(e -> LOG.warn("{}: files cannot be read for reloading: {}", current.setting(),
                e.getMessage()));
    }

    @Override
    public void close() {
        vertx.cancelTimer(timer);
    }
}
