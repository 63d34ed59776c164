package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.scoring.FrameInput;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.onnx.ModelProto;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapacityAndSwapTest {
    @TempDir
    Path dir;

    private static ScoreRequest goodRequest() throws Exception {
        return DemoRequests.scoreRequest(DemoFixture.sampleGood());
    }

    @Test
    void aFullQueueIsRefusedAtOnceAndServedAgainOnceItDrains() throws Exception {
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, 1)) {
            var stub = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            ScoreRequest request = goodRequest();
            node.hold(1);

            var refused = assertThrows(StatusRuntimeException.class, () -> stub.score(request));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode(), refused.getStatus().toString());
            assertTrue(refused.getStatus().getDescription().contains("capacity (1 requests queued)"),
                    refused.getStatus().getDescription());

            node.release();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (node.workers.getQueue().size() + node.workers.getActiveCount() > 0) {
                assertTrue(System.nanoTime() < until, "the held tasks never finished");
                Thread.sleep(1);
            }
            assertEquals(DemoFixture.PRODUCT, stub.score(request).getVerdict().getProduct());
        }
    }

    @Test
    void activatingAVersionOnDiskSwapsItInWithoutARestart() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        ModelStore modelStore = new ModelStore(store);
        try (RunningNode node = new RunningNode(store, c -> {})) {
            var stub = InspectionGrpc.newBlockingStub(node.channel);
            assertEquals("1", stub.score(goodRequest()).getVerdict().getModelVersion());
            // A second version: the same bundle published again, as a fine-tune would.
            ProductBundle current = modelStore.activeBundle(DemoFixture.PRODUCT);
            ProductBundle next = modelStore.writeVersion(DemoFixture.PRODUCT, (staging, version) -> {
                Files.copy(current.studentFile(), staging.resolve("student.onnx"));
                Files.copy(current.servedFile(), staging.resolve(current.servedFile().getFileName()));
                var m = current.manifest();
                return new dev.kdedge.calibration.store.Manifest(m.format(), m.product(), version, m.method(),
                        m.anomalyMap(), m.createdAt(), m.teacher(), m.student(), m.preprocessing(), m.threshold(), m.training(),
                        m.version(), m.served(), null, null, null, m.dontCare());
            });
            modelStore.activate(DemoFixture.PRODUCT, next.version());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String version = "1";
            while (!version.equals("2") && System.nanoTime() < until) {
                version = stub.score(goodRequest()).getVerdict().getModelVersion();
            }
            assertEquals("2", version);
            MetricsScrape.awaitValue(node, "cache_size{cache=\"engines\"}", 1);
        }
    }

    @Test
    void theCacheWeighsEachEngineWithItsTeacher() throws Exception {
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), "demo-b");
        ProductBundle bundle = new ModelStore(store).activeBundle(DemoFixture.PRODUCT);
        try (RunningNode node = new RunningNode(store, c -> {})) {
            var stub = InspectionGrpc.newBlockingStub(node.channel);
            assertEquals("demo", stub.score(goodRequest()).getVerdict().getProduct());
            assertEquals("demo-b", stub.score(goodRequest().toBuilder().setProduct("demo-b").build()).getVerdict()
                    .getProduct());
            MetricsScrape.awaitValue(node, "cache_size{cache=\"engines\"}", 2);
            long served = Files.size(bundle.servedFile());
            assertTrue(served > Files.size(bundle.teacherFile()) + Files.size(bundle.studentFile()) * 9 / 10,
                    "the served graph holds the teacher's and the student's weights");
            // each engine is the served graph behind its frame input, as the node loads it
            long loaded = FrameInput.prepend(ModelProto.parseFrom(Files.readAllBytes(bundle.servedFile())),
                    bundle.manifest().preprocessing()).orElseThrow().getSerializedSize();
            assertTrue(loaded > served && loaded < served + 4096, loaded + " bytes loaded, " + served + " on disk");
            MetricsScrape.awaitValue(node, "kdedge_engines_bytes", 2 * loaded);
        }
    }
}
