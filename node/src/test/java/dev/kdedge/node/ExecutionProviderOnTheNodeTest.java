package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.ProviderUnavailableException;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.metrics.NodeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's provider from its configuration: a provider this ONNX Runtime lacks stops the node at start with what to
 * do; the active versions' engines are built before the node opens its port, ahead of any request.
 */
class ExecutionProviderOnTheNodeTest {
    @TempDir
    Path dir;

    @Test
    void aNodeAskedForTensorRtOnACpuOnlyOnnxRuntimeRefusesToStartAndSaysWhy() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        NodeConfig config = new NodeConfig();
        config.store = store.toString();
        config.server.plaintext = true;
        config.server.port = 0;
        config.metrics.enabled = false;
        config.inference.provider = "tensorrt";
        NodeMetrics metrics = NodeMetrics.of(config.metrics);
        Vertx vertx = metrics.vertx(new VertxOptions());
        try {
            var e = assertThrows(ProviderUnavailableException.class,
                    () -> NodeServer.start(vertx, config.validate(), metrics).await());
            assertTrue(e.getMessage().startsWith("execution provider tensorrt is not in this ONNX Runtime: version "
                    + ExecutionProvider.onnxRuntimeVersion() + " with [CPU]"), e.getMessage());
            assertTrue(e.getMessage().contains("or set inference.provider: cpu"), e.getMessage());
            assertFalse(Files.exists(store.resolve("engines")), "nothing was built");
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void theActiveVersionIsLoadedAtStartNotByItsFirstRequest() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        try (RunningNode node = new RunningNode(store, c -> {})) {
            MetricsScrape.awaitValue(node, "cache_load_total{cache=\"engines\",result=\"success\"}", 1);
            var verdict = InspectionGrpc.newBlockingStub(node.channel)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).getVerdict();
            assertEquals(DemoFixture.PRODUCT, verdict.getProduct());
            MetricsScrape.awaitValue(node, "cache_load_total{cache=\"engines\",result=\"success\"}", 1);
            assertEquals(1, MetricsScrape.value(MetricsScrape.of(node), "cache_size{cache=\"engines\"}"),
                    "the request was served by the engine loaded at start");
        }
    }
}
