package dev.kdedge.node;

import dev.kdedge.api.v1.InspectionGrpcService;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.api.InspectionEndpoint;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.inference.ScoringPipeline;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A running node: the model store, the engine cache, the scoring pipeline and one HTTP/2 port serving
 * {@code kdedge.v1.Inspection}, {@code grpc.health.v1.Health} and server reflection.
 */
public final class NodeServer implements AutoCloseable {
    private static final int HTTP2_WINDOW_BYTES = 4 * 1024 * 1024;

    private final Vertx vertx;
    private final HttpServer http;
    private final EngineCache engines;
    private final ScoringPipeline pipeline;
    private final ExecutorService loader;
    private final ModelStore store;

    private NodeServer(Vertx vertx, HttpServer http, EngineCache engines, ScoringPipeline pipeline,
            ExecutorService loader, ModelStore store) {
        this.vertx = vertx;
        this.http = http;
        this.engines = engines;
        this.pipeline = pipeline;
        this.loader = loader;
        this.store = store;
    }

    /** Starts a node on {@code vertx}; the future completes once the port is listening. */
    public static Future<NodeServer> start(Vertx vertx, NodeConfig config) {
        ModelStore store = new ModelStore(Path.of(config.store));
        try {
            store.sweepStaging();
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        ExecutorService loader = Executors.newFixedThreadPool(1, r -> {
            Thread t = new Thread(r, "kdedge-engine-loader");
            t.setDaemon(true);
            return t;
        });
        EngineCache engines = new EngineCache(store, InferenceOptions.cpu(config.scoring.inferenceThreads),
                config.cache.maxBytes, loader);
        ScoringPipeline pipeline = new ScoringPipeline(engines, config.scoring.maxImagePixels,
                config.scoring.workerThreads, config.scoring.maxQueuedRequests);

        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(config.server.maxMessageBytes));
        grpc.addService(new InspectionEndpoint(vertx, pipeline, config.scoring.streamWindow,
                config.server.maxMessageBytes));
        grpc.addService(HealthService.create(vertx)
                .register(InspectionGrpcService.SERVICE_NAME, () -> Future.succeededFuture(true)));
        grpc.addService(ReflectionService.v1());

        HttpServerOptions options = new HttpServerOptions().setHost(config.server.host).setPort(config.server.port)
                .setInitialSettings(new Http2Settings().setInitialWindowSize(HTTP2_WINDOW_BYTES)
                        .setMaxFrameSize(1 << 20));
        return vertx.createHttpServer(options).requestHandler(grpc).listen()
                .map(http -> new NodeServer(vertx, http, engines, pipeline, loader, store))
                .onFailure(e -> {
                    engines.close();
                    loader.shutdownNow();
                });
    }

    public int port() {
        return http.actualPort();
    }

    public ModelStore store() {
        return store;
    }

    public EngineCache engines() {
        return engines;
    }

    /** Stops accepting calls, lets queued requests finish, then frees every engine. */
    @Override
    public void close() throws Exception {
        http.close().await();
        pipeline.close();
        engines.close();
        loader.shutdown();
    }
}
