package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python's grpcio scores an image on a real node and gets the verdict grpc-java gets. */
class PythonClientTest {
    @TempDir
    Path stubs;

    @Test
    void pythonGrpcioScoresLikeGrpcJava() throws Exception {
        PythonGrpc.generateStubs(stubs);
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            PythonGrpc.Result python = PythonGrpc.runScript("score_client.py", List.of(stubs.toString(),
                    "127.0.0.1:" + node.server.port(), DemoFixture.PRODUCT, DemoFixture.sampleDefect().toString()));
            assertEquals(0, python.exitCode(), python.output());
            JsonNode verdict = new ObjectMapper().readTree(python.lastLine());

            Verdict java = InspectionGrpc.newBlockingStub(node.channel).score(ScoreRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder().setEncoded(
                            ByteString.copyFrom(Files.readAllBytes(DemoFixture.sampleDefect())))).build()).getVerdict();
            assertEquals(java.getProduct(), verdict.get("product").asText());
            assertEquals(java.getModelVersion(), verdict.get("model_version").asText());
            assertEquals(java.getRawScore(), verdict.get("raw_score").asDouble(), 1e-9);
            assertEquals(java.getIsAnomalous(), verdict.get("is_anomalous").asBoolean());
        }
    }
}
