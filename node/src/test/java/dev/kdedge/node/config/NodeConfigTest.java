package dev.kdedge.node.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
    @TempDir
    Path dir;

    @Test
    void shippedExampleIsValid() throws Exception {
        NodeConfig config = NodeConfig.load(Path.of(System.getProperty("kdedge.edgeConfig"), "node.yaml")).validate();
        assertEquals(50051, config.server.port);
    }

    @Test
    void everyInvalidSettingIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"),
                "server:\n  port: 70000\nscoring:\n  workerThreads: 0\n  streamWindow: 0\nmodels:\n  maxQueuedRequests: 0\n");
        var e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.load(file).validate());
        assertTrue(e.getMessage().contains("server.port"), e.getMessage());
        assertTrue(e.getMessage().contains("scoring.workerThreads"), e.getMessage());
        assertTrue(e.getMessage().contains("scoring.streamWindow"), e.getMessage());
        assertTrue(e.getMessage().contains("models.maxQueuedRequests"), e.getMessage());
    }

    @Test
    void unknownKeysAreRejectedWithTheirPlace() throws Exception {
        Path file = Files.writeString(dir.resolve("node.yaml"), "scoring:\n  workerThread: 2\n");
        var e = assertThrows(java.io.IOException.class, () -> NodeConfig.load(file));
        assertTrue(e.getMessage().contains("workerThread"), e.getMessage());
    }
}
