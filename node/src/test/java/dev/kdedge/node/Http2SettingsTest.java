package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flow-control windows and limits the node's HTTP/2 side gives a client as it connects, read by an HTTP/2
 * implementation of another codebase (Python's h2): a camera may send a whole large frame without waiting for the node
 * to open its windows, one round trip per 64 KiB as with HTTP/2's defaults.
 */
class Http2SettingsTest {
    @TempDir
    Path store;

    @Test
    void theConfiguredConnectionWindowAndTheNodesStreamLimitsReachTheClient() throws Exception {
        PythonGrpc.requireModules("h2", "python3-h2");
        // no product is needed to connect: an empty store
        try (RunningNode node = new RunningNode(store, c -> {
            c.server.connectionWindowBytes = 24 * 1024 * 1024;
            c.server.maxConcurrentStreams = 17;
        })) {
            PythonGrpc.Result read = PythonGrpc.runScript("http2_windows.py",
                    List.of("127.0.0.1", Integer.toString(node.server.port())));
            assertEquals(0, read.exitCode(), read.output());
            JsonNode settings = new ObjectMapper().readTree(read.lastLine());
            assertEquals(24 * 1024 * 1024, settings.get("connection_window").asLong(), read.output());
            assertEquals(4 * 1024 * 1024, settings.get("initial_window_size").asLong(), "a stream's window");
            assertEquals(1024 * 1024, settings.get("max_frame_size").asLong());
            assertEquals(17, settings.get("max_concurrent_streams").asLong());
        }
    }
}
