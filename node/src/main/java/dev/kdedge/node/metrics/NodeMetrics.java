package dev.kdedge.node.metrics;

import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.security.TlsFiles;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusRequestHandler;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where the node's meters go. With {@code metrics.enabled}: one Prometheus registry that holds Vert.x's own meters
 * (HTTP/2 connections, requests, bytes), the JVM's and the process's (memory, GC, threads, CPU, resident memory) and
 * the node's ({@link CallMetrics}, queues, engines, fine-tunes), scraped at {@code metrics.port}. Without: a
 * registry that records nothing.
 */
public final class NodeMetrics {
    private final MeterRegistry registry;
    private final Optional<PrometheusMeterRegistry> prometheus;

    private NodeMetrics(MeterRegistry registry, Optional<PrometheusMeterRegistry> prometheus) {
        this.registry = registry;
        this.prometheus = prometheus;
    }

    public static NodeMetrics of(NodeConfig.Metrics config) {
        if (!config.enabled) {
            return new NodeMetrics(new CompositeMeterRegistry(), Optional.empty());
        }
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Micrometer's JVM binders, and the Prometheus client's process metrics (resident memory, CPU, files), which
        // Micrometer lacks; Micrometer's UptimeMetrics would name process_start_time_seconds a second time.
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmGcMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ClassLoaderMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        ProcessMetrics.builder().register(prometheus.getPrometheusRegistry());
        return new NodeMetrics(prometheus, Optional.of(prometheus));
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A Vert.x whose own meters (and the JVM's) go to this registry, when metrics are enabled. */
    public Vertx vertx(VertxOptions options) {
        if (prometheus.isEmpty()) {
            return Vertx.vertx(options);
        }
        return Vertx.builder()
                // LOCAL tells the gRPC port's meters from the metrics port's.
                .with(options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                        // Only labels whose values the node chooses: a client chooses an HTTP method or a path, and
                        // each new one would add series that never go away (20,000 methods took the scrape from 274
                        // series to 220,284).
                        .setLabels(EnumSet.of(Label.LOCAL, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME))))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
    }

    /**
     * Serves {@code GET /metrics} in Prometheus's format on {@code config}'s address, when metrics are enabled: over
     * {@code tls} when present (scrapers must then present a certificate its client CA signed, if it names one).
     */
    public Future<Optional<HttpServer>> serve(Vertx vertx, NodeConfig.Metrics config, Optional<TlsFiles> tls) {
        if (prometheus.isEmpty()) {
            return Future.succeededFuture(Optional.empty());
        }
        // Scrapers speak HTTP/1.1; no h2c upgrade on this port.
        HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(false)
                .setIdleTimeout(config.idleTimeoutSeconds).setIdleTimeoutUnit(TimeUnit.SECONDS);
        tls.ifPresent(files -> files.secure(options));
        return vertx.createHttpServer(options)
                .requestHandler(PrometheusRequestHandler.create(prometheus.get()))
                .listen(config.port, config.host).map(Optional::of)
                .recover(e -> Future.failedFuture(new IllegalStateException("cannot serve metrics on " + config.host
                        + ":" + config.port + " (metrics.port): " + e.getMessage(), e)));
    }
}
