package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.ListProductsRequest;
import dev.kdedge.api.v1.ListProductsResponse;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.WatchJobRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.api.ImageSources;
import dev.kdedge.node.api.ModelsEndpoint;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.config.ProductPrecisions;
import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.jobs.FineTuneJobs;
import dev.kdedge.node.models.ProductAdministration;
import dev.kdedge.node.results.LineNormals;
import dev.kdedge.node.metrics.CallMetrics;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.grpc.server.GrpcServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Models service when its administration threads are all busy and their queue is full: every kind of call
 * (unary, WatchJob, UploadNormals) is answered RESOURCE_EXHAUSTED at once instead of waiting in an unbounded queue,
 * and is served again once the queue drains.
 */
class ModelsBusyTest {
    @TempDir
    Path dir;

    @Test
    void aFullAdministrationQueueIsRefusedNotQueued() throws Exception {
        ModelStore store = new ModelStore(DemoFixture.copyOfStore(dir.resolve("store")));
        ThreadPoolExecutor work = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1));
        ExecutorService loader = Executors.newSingleThreadExecutor();
        Vertx vertx = Vertx.vertx();
        List<Throwable> unhandled = new CopyOnWriteArrayList<>();
        vertx.exceptionHandler(unhandled::add);
        CountDownLatch release = new CountDownLatch(1);
        ProductFitter fitter = new ProductFitter(store, InferenceOptions.cpu(1));
        try (EngineCache engines = new EngineCache(store, InferenceOptions.cpu(1), ProductPrecisions.FP32, 1 << 30, loader,
                EngineCache.ServingReports.NONE);
                AuditTrail audit = new AuditTrail(dir.resolve("audit.db"));
                FineTuneJobs jobs = new FineTuneJobs(store, dir.resolve("jobs"), fitter, audit)) {
            GrpcServer grpc = GrpcServer.server(vertx);
            grpc.addService(new ModelsEndpoint(vertx, new ProductAdministration(store, engines,
                    new ServingState(true), 1 << 24, audit, new LineNormals(Optional.empty(), Optional.empty()),
                    fitter),
                    new ImageSources(vertx, Optional.empty(), 1 << 24), jobs, work, 1 << 24,
                    new CallMetrics(new SimpleMeterRegistry())));
            HttpServer http = vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1").await();
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", http.actualPort()).usePlaintext()
                    .build();
            try {
                ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS);
                for (int i = 0; i < 2; i++) {
                    work.execute(() -> awaitQuietly(release));
                }

                assertBusy(assertThrows(StatusRuntimeException.class,
                        () -> models.listProducts(ListProductsRequest.getDefaultInstance())));
                assertBusy(assertThrows(StatusRuntimeException.class,
                        () -> models.watchJob(WatchJobRequest.newBuilder().setJobId("any").build()).hasNext()));
                assertBusy(assertThrows(Exception.class,
                        () -> ModelsApiTest.upload(channel, ModelsApiTest.normals(1, 1))));

                release.countDown();
                assertEquals(List.of(DemoFixture.PRODUCT), servedOnceDrained(models).getProductsList().stream()
                        .map(p -> p.getProduct()).toList());
                assertEquals(List.of(), unhandled);
            } finally {
                release.countDown();
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                vertx.close().await();
                work.shutdownNow();
                loader.shutdownNow();
            }
        }
    }

    /**
     * ListProducts as soon as the administration queue has drained: the released tasks leave it in their own time, so
     * a call may still be refused for a moment, but only as busy, and not for long.
     */
    private static ListProductsResponse servedOnceDrained(ModelsGrpc.ModelsBlockingStub models) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return models.listProducts(ListProductsRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                assertBusy(e);
                assertTrue(System.nanoTime() < until, "the queue never drained");
                Thread.sleep(10);
            }
        }
    }

    private static void assertBusy(Throwable failure) {
        Status status = Status.fromThrowable(failure);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), failure.toString());
        assertTrue(status.getDescription().contains("busy with other Models requests"), status.getDescription());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
