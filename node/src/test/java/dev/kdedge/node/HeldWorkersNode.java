package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.api.ImageSources;
import dev.kdedge.node.api.InspectionEndpoint;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.config.ProductPrecisions;
import dev.kdedge.node.inference.InferenceBatcher;
import dev.kdedge.node.inference.LargeImageLane;
import dev.kdedge.node.inference.ScoringPipeline;
import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.inspection.StationRecipes;
import dev.kdedge.node.results.Inspections;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.grpc.server.GrpcServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The Inspection service over a real socket, on a scoring pool the test owns: {@link #hold} occupies its workers and
 * queue slots with tasks that wait for {@link #release}, so a test reaches "every worker busy" or "queue full" as a
 * state it waited for, not as the outcome of a race. Closing it fails the test if an event loop was blocked.
 */
final class HeldWorkersNode implements AutoCloseable {
    private final WatchedEventLoops eventLoops = new WatchedEventLoops(Vertx::vertx);
    final Vertx vertx = eventLoops.vertx;
    final ThreadPoolExecutor workers;
    final ManagedChannel channel;
    private final ExecutorService loads = Executors.newSingleThreadExecutor();
    private final EngineCache engines;
    private final ScoringPipeline pipeline;
    private final HttpServer http;
    private final CountDownLatch released = new CountDownLatch(1);

    HeldWorkersNode(Path store, int workerThreads, int maxQueuedRequests) {
        this(store, workerThreads, maxQueuedRequests, maxQueuedRequests, null);
    }

    /**
     * @param maxQueuedPerClient the share of the queue one connection may hold
     * @param loader where engines load, or null for a thread of the node's own
     */
    HeldWorkersNode(Path store, int workerThreads, int maxQueuedRequests, int maxQueuedPerClient, Executor loader) {
        workers = ScoringPipeline.workerPool(workerThreads, maxQueuedRequests);
        engines = new EngineCache(new ModelStore(store), InferenceOptions.cpu(1), ProductPrecisions.FP32, 1 << 30,
                loader != null ? loader : loads, EngineCache.ServingReports.NONE);
        pipeline = new ScoringPipeline(engines, new InferenceBatcher(1, 1, 0, TimeUnit.MILLISECONDS), 1 << 22, workers,
                new LargeImageLane(1 << 22, 1, 1), maxQueuedPerClient, false);
        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.addService(new InspectionEndpoint(vertx, new Inspections(pipeline, Optional.empty(), Optional.empty(),
                Optional.empty(), StationRecipes.NONE, Optional.empty()), new ImageSources(vertx, Optional.empty(),
                1 << 22), 4, 4 << 20,
                new CallMetrics(new SimpleMeterRegistry())));
        http = vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1").await();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port()).usePlaintext().build();
    }

    ScoringPipeline pipeline() {
        return pipeline;
    }

    int port() {
        return http.actualPort();
    }

    /** Gives every worker a task that waits for {@link #release}, plus {@code queued} such tasks in the queue. */
    void hold(int queued) throws InterruptedException {
        for (int i = 0; i < workers.getMaximumPoolSize() + queued; i++) {
            workers.execute(() -> {
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (workers.getActiveCount() < workers.getMaximumPoolSize()) {
            assertTrue(System.nanoTime() < until, "the workers never took the held tasks");
            Thread.sleep(1);
        }
    }

    void release() {
        released.countDown();
    }

    @Override
    public void close() throws Exception {
        release();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        http.close().await();
        vertx.close().await();
        pipeline.close();
        engines.close();
        loads.shutdownNow();
        assertEquals(List.of(), eventLoops.blocked(), "the node blocked an event loop");
    }
}
