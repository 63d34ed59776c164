package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.cli.KdedgeCalibrate;
import dev.kdedge.calibration.demo.DemoFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kdedge-calibrate evaluate --node} scores the test set on a real node (grpc-java, raw float maps over the
 * socket) and must get the figures that evaluating the same version from the store gets: the node serves exactly
 * what was evaluated.
 */
class NodeEvaluationTest {
    @TempDir
    Path out;

    @Test
    void evaluatingOnTheNodeGivesTheStoreFigures() throws Exception {
        JsonNode local = evaluate("--store", DemoFixture.store().toString());
        JsonNode remote;
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            remote = evaluate("--node", "127.0.0.1:" + node.server.port(), "--report", out.resolve("node.html").toString());
        }
        assertEquals("demo@1", remote.get("bundle").asText());
        assertEquals(local.get("images").asInt(), remote.get("images").asInt());
        for (int i = 0; i < local.get("scores").size(); i++) {
            assertEquals(local.get("scores").get(i).get("score").asDouble(),
                    remote.get("scores").get(i).get("score").asDouble(), 1e-5);
        }
        for (String metric : new String[] {"imageAuroc", "pixelAuroc", "pro", "proAsStfpmCode"}) {
            assertEquals(local.get(metric).asDouble(), remote.get(metric).asDouble(), 1e-4, metric);
        }
        assertEquals(local.get("atThreshold"), remote.get("atThreshold"));
        String html = Files.readString(out.resolve("node.html"));
        assertTrue(html.contains("served by the node at 127.0.0.1:"), "the report says where the model ran");
    }

    @Test
    void anUnknownProductOnTheNodeFailsWithTheNodesReason() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            StringWriter err = new StringWriter();
            int code = KdedgeCalibrate.commandLine().setErr(new PrintWriter(err)).execute("evaluate", "--node",
                    "127.0.0.1:" + node.server.port(), "--product", "no-such-product", "--data",
                    DemoFixture.testSet().toString());
            assertEquals(1, code);
            assertTrue(err.toString().contains("NOT_FOUND"), err.toString());
        }
    }

    private JsonNode evaluate(String... source) throws Exception {
        Path json = Files.createTempFile(out, "evaluation-", ".json");
        String[] args = new String[source.length + 7];
        System.arraycopy(source, 0, args, 1, source.length);
        args[0] = "evaluate";
        System.arraycopy(new String[] {"--product", DemoFixture.PRODUCT, "--data", DemoFixture.testSet().toString(),
                "--json", json.toString()}, 0, args, source.length + 1, 6);
        StringWriter err = new StringWriter();
        int code = KdedgeCalibrate.commandLine().setErr(new PrintWriter(err)).execute(args);
        assertEquals(0, code, err.toString());
        return new ObjectMapper().readTree(json.toFile());
    }
}
