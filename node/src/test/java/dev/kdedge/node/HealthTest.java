package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code grpc.health.v1.Health} tells the truth, asked by grpc-java's health client: per product, for the node as a
 * whole, for Models writes; and on SIGTERM a watcher hears NOT_SERVING before the node goes, a camera stream has its
 * frames answered and ends UNAVAILABLE, and a new call is refused UNAVAILABLE.
 */
class HealthTest {
    private static final String BROKEN = "broken";

    @TempDir
    Path dir;

    @Test
    void aProductWhoseActiveVersionCannotLoadIsNotServingWhileTheOthersServe() throws Exception {
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), BROKEN);
        Files.write(store.resolve("products").resolve(BROKEN).resolve("versions/1/served.onnx"), new byte[] {1, 2, 3});
        try (RunningNode node = new RunningNode(store, c -> c.models.enabled = true)) {
            assertEquals(Map.of("", ServingStatus.SERVING, "kdedge.v1.Inspection", ServingStatus.SERVING,
                    "kdedge.v1.Inspection/demo", ServingStatus.SERVING, "kdedge.v1.Inspection/" + BROKEN,
                    ServingStatus.NOT_SERVING, "kdedge.v1.Models", ServingStatus.SERVING),
                    statuses(node.channel, "", "kdedge.v1.Inspection", "kdedge.v1.Inspection/demo",
                            "kdedge.v1.Inspection/" + BROKEN, "kdedge.v1.Models"));
            StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> health(node.channel)
                    .check(HealthCheckRequest.newBuilder().setService("kdedge.v1.Inspection/nosuch").build()));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
            String problem = ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .describeProduct(DescribeProductRequest.newBuilder().setProduct(BROKEN).build()).getServingProblem();
            assertTrue(problem.contains(BROKEN + "@1") || problem.contains("served.onnx"), problem);
            assertEquals("", ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .describeProduct(DescribeProductRequest.newBuilder().setProduct("demo").build())
                    .getServingProblem());
        }
        try (RunningNode readOnly = new RunningNode(DemoFixture.copyOfStore(dir.resolve("second")),
                c -> c.models.enabled = false)) {
            assertEquals(Map.of("kdedge.v1.Models", ServingStatus.NOT_SERVING),
                    statuses(readOnly.channel, "kdedge.v1.Models"));
        }
    }

    @Test
    void onSigtermWatchersHearNotServingFramesReadAreAnsweredAndNewCallsAreRefused() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Path config = Files.writeString(dir.resolve("node.yaml"),
                "server:\n  host: 127.0.0.1\n  plaintext: true\nmetrics:\n  enabled: false\n");
        try (NodeProcess node = new NodeProcess(config, store, null)) {
            BlockingQueue<ServingStatus> heard = new LinkedBlockingQueue<>();
            CompletableFuture<Status> watchEnded = new CompletableFuture<>();
            HealthGrpc.newStub(node.channel).watch(HealthCheckRequest.newBuilder().setService("").build(),
                    observer(response -> heard.add(response.getStatus()), watchEnded));
            assertEquals(ServingStatus.SERVING, heard.poll(30, TimeUnit.SECONDS));

            Map<Long, FrameResult> results = new ConcurrentHashMap<>();
            CompletableFuture<Status> streamEnded = new CompletableFuture<>();
            StreamObserver<FrameRequest> camera = InspectionGrpc.newStub(node.channel).inspectStream(
                    observer(result -> results.put(result.getFrameId(), result), streamEnded));
            for (long frame = 1; frame <= 3; frame++) {
                camera.onNext(FrameRequest.newBuilder().setFrameId(frame)
                        .setRequest(DemoRequests.scoreRequest(DemoFixture.sampleGood())).build());
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (results.isEmpty()) {
                assertTrue(System.nanoTime() < until, "no frame was answered");
                Thread.sleep(5);
            }

            node.terminate();
            assertEquals(ServingStatus.NOT_SERVING, heard.poll(30, TimeUnit.SECONDS), "what the watcher heard next");
            Status watch = watchEnded.get(30, TimeUnit.SECONDS);
            assertEquals(Status.Code.UNAVAILABLE, watch.getCode(), watch.toString());
            Status stream = streamEnded.get(30, TimeUnit.SECONDS);
            assertEquals(Status.Code.UNAVAILABLE, stream.getCode(), stream.toString());
            assertTrue(String.valueOf(stream.getDescription()).contains("shutting down"), stream.toString());
            assertEquals(List.of(1L, 2L, 3L), results.keySet().stream().sorted().toList(), "every frame read is answered");

            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> InspectionGrpc
                    .newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())));
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
            assertTrue(node.exited(60), "the node did not exit within 60 s of SIGTERM");
        }
    }

    private static HealthGrpc.HealthBlockingStub health(ManagedChannel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static Map<String, ServingStatus> statuses(ManagedChannel channel, String... services) {
        Map<String, ServingStatus> statuses = new java.util.HashMap<>();
        for (String service : services) {
            statuses.put(service, health(channel).check(HealthCheckRequest.newBuilder().setService(service).build())
                    .getStatus());
        }
        return statuses;
    }

    private static <T> StreamObserver<T> observer(java.util.function.Consumer<T> each, CompletableFuture<Status> ended) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                each.accept(value);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        };
    }
}
