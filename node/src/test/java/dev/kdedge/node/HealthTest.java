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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
 * {@code grpc.health.v1.Health} tells the truth, asked by Python's grpcio (Debian's python3-grpcio, with stubs generated
 * from the standard health.proto): per product, for the node as a whole, for Models writes; and on SIGTERM a watcher
 * hears NOT_SERVING before the node goes, a camera stream has its frames answered and ends UNAVAILABLE, and a new
 * call is refused UNAVAILABLE.
 */
class HealthTest {
    private static final String BROKEN = "broken";

    @TempDir
    Path dir;

    @TempDir
    Path stubs;

    @Test
    void aProductWhoseActiveVersionCannotLoadIsNotServingWhileTheOthersServe() throws Exception {
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), BROKEN);
        Files.write(store.resolve("products").resolve(BROKEN).resolve("versions/1/served.onnx"), new byte[] {1, 2, 3});
        PythonGrpc.generateHealthStubs(stubs);
        try (RunningNode node = new RunningNode(store, c -> c.models.enabled = true)) {
            assertEquals(Map.of("", "SERVING", "kdedge.v1.Inspection", "SERVING", "kdedge.v1.Inspection/demo", "SERVING",
                    "kdedge.v1.Inspection/" + BROKEN, "NOT_SERVING", "kdedge.v1.Models", "SERVING",
                    "kdedge.v1.Inspection/nosuch", "NOT_FOUND"),
                    statuses(node.server.port(), "", "kdedge.v1.Inspection", "kdedge.v1.Inspection/demo",
                            "kdedge.v1.Inspection/" + BROKEN, "kdedge.v1.Models", "kdedge.v1.Inspection/nosuch"));
            String problem = ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .describeProduct(DescribeProductRequest.newBuilder().setProduct(BROKEN).build()).getServingProblem();
            assertTrue(problem.contains(BROKEN + "@1") || problem.contains("served.onnx"), problem);
            assertEquals("", ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .describeProduct(DescribeProductRequest.newBuilder().setProduct("demo").build())
                    .getServingProblem());
        }
        try (RunningNode readOnly = new RunningNode(DemoFixture.copyOfStore(dir.resolve("second")),
                c -> c.models.enabled = false)) {
            assertEquals(Map.of("kdedge.v1.Models", "NOT_SERVING"), statuses(readOnly.server.port(), "kdedge.v1.Models"));
        }
    }

    @Test
    void onSigtermWatchersHearNotServingFramesReadAreAnsweredAndNewCallsAreRefused() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Path config = Files.writeString(dir.resolve("node.yaml"),
                "server:\n  host: 127.0.0.1\n  plaintext: true\nmetrics:\n  enabled: false\n");
        PythonGrpc.generateHealthStubs(stubs);
        try (NodeProcess node = new NodeProcess(config, store, null)) {
            Process watcher = PythonGrpc.startScript("health_client.py",
                    List.of(stubs.toString(), "127.0.0.1:" + node.port(), "watch", ""));
            BlockingQueue<String> heard = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(watcher.getInputStream(),
                    StandardCharsets.UTF_8)).lines().forEach(heard::add));
            reader.setDaemon(true);
            reader.start();
            assertEquals("SERVING", heard.poll(60, TimeUnit.SECONDS));

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
            assertEquals("NOT_SERVING", heard.poll(30, TimeUnit.SECONDS), "what the watcher heard next");
            assertEquals("END=UNAVAILABLE", heard.poll(30, TimeUnit.SECONDS), "how the watch ended");
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

    /** Each service's status, or the code its check failed with, as Python's grpcio client reports it. */
    private Map<String, String> statuses(int port, String... services) throws Exception {
        List<String> args = new ArrayList<>(List.of(stubs.toString(), "127.0.0.1:" + port, "check"));
        args.addAll(List.of(services));
        PythonGrpc.Result python = PythonGrpc.runScript("health_client.py", args);
        assertEquals(0, python.exitCode(), python.output());
        Map<String, String> statuses = new HashMap<>();
        python.output().lines().map(line -> line.split("=", 2)).forEach(kv -> statuses.put(kv[0], kv[1]));
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
