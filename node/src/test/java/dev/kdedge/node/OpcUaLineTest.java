package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.node.config.NodeConfig;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stations' handshake over OPC UA, with node-opcua's client as the PLC (SignAndEncrypt, Basic256Sha256, its
 * application certificate trusted from the node's folder) and a grpc-java camera scoring the parts.
 */
class OpcUaLineTest {
    static final String STATION = "press-3";

    @TempDir
    Path dir;

    /**
     * The PLC subscribes to the station, a camera scores a part there, the PLC hears ResultReady with the part's id
     * and evaluation, reads the station, acknowledges, reads the result by id, switches the recipe, and the next part
     * is scored against the new product; wrong calls get the OPC UA status that says why.
     */
    @Test
    void aPlcFollowsTheStationAcknowledgesAndSwitchesItsRecipe() throws Exception {
        TestPlc.Application node = TestPlc.Application.of("node", "kdedge");
        TestPlc.Application plc = TestPlc.Application.of("plc", "line");
        plc.trustedBy(dir.resolve("pki"));
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), "demo-b");
        int port = freePort();
        try (RunningNode running = new RunningNode(store, opcua(dir, node, port, c -> { }));
                TestPlc line = TestPlc.connect(port, STATION, plc, node, dir)) {
            line.connected();
            assertEquals(10.0, line.subscribe(10).path("publishingInterval").asDouble());
            JsonNode before = line.read("State", "Recipe", "ModelVersion", "BufferSize", "LatestResult/PartId");
            assertEquals(0, before.path("State").path("value").asInt(), "Ready: " + before);
            assertEquals(DemoFixture.PRODUCT, before.path("Recipe").path("value").asText());
            assertEquals(1, before.path("ModelVersion").path("value").asInt());
            assertEquals(8, before.path("BufferSize").path("value").asInt());
            assertEquals("BadWaitingForInitialData", before.path("LatestResult/PartId").path("status").asText());

            Verdict first = score(running, "SN-1", DemoFixture.sampleDefect());
            JsonNode ready = line.next(m -> "resultReady".equals(m.path("event").asText()), 30);
            assertEquals("SN-1", ready.path("PartId").asText());
            assertEquals(Long.toString(first.getResultId()), ready.path("ResultId").asText());
            assertEquals(2, ready.path("Evaluation").asInt(), "NotOK, as the camera was told: " + ready);
            assertEquals(Evaluation.NOT_OK, first.getEvaluation());
            assertEquals(DemoFixture.PRODUCT, ready.path("Product").asText());
            assertEquals(STATION, ready.path("Station").asText());
            JsonNode after = line.read("LatestResult/PartId", "LatestResult/Evaluation", "UnacknowledgedCount",
                    "UnacknowledgedResultIds");
            assertEquals("SN-1", after.path("LatestResult/PartId").path("value").asText());
            assertEquals(1, after.path("UnacknowledgedCount").path("value").asInt());
            assertEquals(Long.toString(first.getResultId()),
                    after.path("UnacknowledgedResultIds").path("value").path(0).asText());

            JsonNode acknowledged = line.call("AcknowledgeResults", "UInt64", Long.toString(first.getResultId()));
            assertEquals("Good", acknowledged.path("status").asText(), acknowledged.toString());
            assertEquals(1, acknowledged.path("outputs").path(0).asInt());
            assertEquals(0, line.read("UnacknowledgedCount").path("UnacknowledgedCount").path("value").asInt());
            JsonNode byId = line.call("GetResultById", "UInt64", Long.toString(first.getResultId()));
            assertEquals("Good", byId.path("status").asText(), byId.toString());
            assertEquals("SN-1", byId.path("outputs").path(1).asText());

            JsonNode prepared = line.call("PrepareRecipe", "String", "demo-b");
            assertEquals("Good", prepared.path("status").asText(), prepared.toString());
            Verdict second = score(running, "SN-2", DemoFixture.sampleGood());
            assertEquals("demo-b", second.getProduct());
            JsonNode secondReady = line.next(m -> "resultReady".equals(m.path("event").asText()), 30);
            assertEquals("SN-2", secondReady.path("PartId").asText());
            assertEquals("demo-b", secondReady.path("Product").asText());
            assertEquals(1, secondReady.path("Evaluation").asInt(), "OK: " + secondReady);

            assertEquals("BadNotFound", line.call("PrepareRecipe", "String", "tile-q").path("status").asText());
            assertEquals("BadNotFound", line.call("GetResultById", "UInt64", "999999").path("status").asText());
            assertEquals("BadInvalidArgument", line.call("AcknowledgeResults", "String", "7").path("status").asText());
            assertEquals("BadArgumentsMissing", line.call("AcknowledgeResults").path("status").asText());
            assertEquals("demo-b", line.read("Recipe").path("Recipe").path("value").asText(),
                    "a refused switch leaves the recipe");
        }
    }

    /**
     * A PLC that never acknowledges sees Overrun once its buffer has overflowed, and the camera is answered all along;
     * when it loses power mid-session and comes back, the station's buffer and flag are as it left them.
     */
    @Test
    void aPlcThatNeverAcknowledgesSeesTheOverrunWhileScoringGoesOn() throws Exception {
        TestPlc.Application node = TestPlc.Application.of("node", "kdedge");
        TestPlc.Application plc = TestPlc.Application.of("plc", "line");
        plc.trustedBy(dir.resolve("pki"));
        int port = freePort();
        try (RunningNode running = new RunningNode(DemoFixture.store(), opcua(dir, node, port,
                c -> c.line.bufferSize = 2)); TestPlc line = TestPlc.connect(port, STATION, plc, node, dir)) {
            line.connected();
            line.subscribe(10);
            for (int i = 1; i <= 3; i++) {
                score(running, "SN-" + i, DemoFixture.sampleGood());
            }
            JsonNode overrun = line.next(m -> "changed".equals(m.path("event").asText())
                    && "Overrun".equals(m.path("name").asText()) && m.path("value").asBoolean(), 30);
            assertEquals("Good", overrun.path("status").asText());
            JsonNode station = line.read("UnacknowledgedCount", "UnacknowledgedResultIds", "LatestResult/PartId");
            assertEquals(2, station.path("UnacknowledgedCount").path("value").asInt());
            assertEquals("SN-3", station.path("LatestResult/PartId").path("value").asText());
            assertEquals(Evaluation.OK, score(running, "SN-4", DemoFixture.sampleGood()).getEvaluation(),
                    "the line goes on whatever the PLC does");
            line.kill();
            assertEquals(Evaluation.OK, score(running, "SN-5", DemoFixture.sampleGood()).getEvaluation());
            try (TestPlc restarted = TestPlc.connect(port, STATION, plc, node, dir)) {
                restarted.connected();
                JsonNode after = restarted.read("Overrun", "UnacknowledgedResultIds", "LatestResult/PartId");
                assertTrue(after.path("Overrun").path("value").asBoolean(),
                        "the buffer is the station's: a PLC that lost power finds it as it was, " + after);
                assertEquals("SN-5", after.path("LatestResult/PartId").path("value").asText());
            }
        }
    }

    /**
     * Roles come from the PLC's application certificate as for gRPC: an observer reads but cannot switch recipes or
     * acknowledge; a trusted certificate granting no reading role gets no session; an untrusted one is refused and
     * kept in rejected/certs, where the engineer moves it to trusted/certs to trust it; security None opens no session unless allowed; a thousand
     * monitored items get the configured number and Bad_TooManyMonitoredItems for the rest.
     */
    @Test
    void rolesTrustAndLimitsHoldAsConfigured() throws Exception {
        TestPlc.Application node = TestPlc.Application.of("node", "kdedge");
        TestPlc.Application observer = TestPlc.Application.of("observer", "observer");
        TestPlc.Application camera = TestPlc.Application.of("camera", "camera");
        TestPlc.Application stranger = TestPlc.Application.of("stranger", "line");
        Path pki = dir.resolve("pki");
        observer.trustedBy(pki);
        camera.trustedBy(pki);
        int port = freePort();
        try (RunningNode running = new RunningNode(DemoFixture.store(), opcua(dir, node, port,
                c -> c.opcua.maxMonitoredItemsPerSession = 100))) {
            // Sign only, with the other current policy
            try (TestPlc watching = TestPlc.connect(port, STATION, observer, node, dir, "Sign",
                    "Aes128_Sha256_RsaOaep")) {
                watching.connected();
                assertEquals(DemoFixture.PRODUCT, watching.read("Recipe").path("Recipe").path("value").asText());
                assertEquals("BadUserAccessDenied", watching.call("PrepareRecipe", "String", DemoFixture.PRODUCT)
                        .path("status").asText());
                assertEquals("BadUserAccessDenied", watching.call("AcknowledgeResults", "UInt64", "1")
                        .path("status").asText());
                JsonNode many = watching.ask(TestPlc.command("monitorMany").put("count", 1000)).path("statuses");
                assertEquals(100, many.path("Good").asInt(), many.toString());
                assertEquals(900, many.path("BadTooManyMonitoredItems").asInt(), many.toString());
                assertEquals(Evaluation.OK, score(running, "SN-1", DemoFixture.sampleGood()).getEvaluation());
            }
            for (TestPlc.Application refused : new TestPlc.Application[] {camera, stranger}) {
                try (TestPlc plc = TestPlc.connect(port, STATION, refused, node, dir)) {
                    JsonNode greeting = plc.greeting();
                    assertEquals("refused", greeting.path("event").asText(), refused.uri() + ": " + greeting);
                }
            }
            Path waiting;
            try (Stream<Path> rejected = Files.list(pki.resolve("rejected/certs"))) {
                List<Path> files = rejected.toList();
                assertEquals(1, files.size(), "the stranger's certificate waits there to be trusted: " + files);
                waiting = files.get(0);
            }
            // the engineer trusts it by moving the file, without a restart
            Files.move(waiting, pki.resolve("trusted/certs").resolve(waiting.getFileName()));
            JsonNode trusted = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((trusted == null || !"connected".equals(trusted.path("event").asText()))
                    && System.nanoTime() < until) {
                Thread.sleep(500);
                try (TestPlc plc = TestPlc.connect(port, STATION, stranger, node, dir)) {
                    trusted = plc.greeting();
                }
            }
            assertEquals("connected", trusted.path("event").asText(), trusted.toString());
            try (TestPlc insecure = TestPlc.connect(port, STATION, observer, node, dir, "None", "None")) {
                assertEquals("refused", insecure.greeting().path("event").asText());
            }
        }
    }

    /** The node names what is wrong with its OPC UA certificate at start, instead of failing every handshake. */
    @Test
    void aCertificateThatCannotServeIsRefusedAtStart() throws Exception {
        KeyPair keys = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        TestPlc.Application withoutUri = new TestPlc.Application("urn:kdedge:test:nameless",
                new SelfSignedCertificateBuilder(keys).setCommonName("nameless").build(), keys);
        Exception missing = assertThrows(Exception.class, () -> new RunningNode(DemoFixture.store(),
                opcua(dir, withoutUri, freePort(), c -> { })).close());
        assertTrue(missing.getMessage().contains("opcua.certificate has no URI in its SubjectAltName"),
                missing.getMessage());
        TestPlc.Application node = TestPlc.Application.of("node", "kdedge");
        Path otherKey = TestPlc.Application.of("other", "kdedge").keyPem(dir);
        Exception mismatched = assertThrows(Exception.class, () -> new RunningNode(DemoFixture.store(),
                opcua(dir, node, freePort(), c -> c.opcua.key = otherKey.toString())).close());
        assertTrue(mismatched.getMessage().contains("opcua.key is not the key of opcua.certificate"),
                mismatched.getMessage());
    }

    /** A node with one station, press-3, and its OPC UA server on {@code port}, its files under {@code dir}. */
    static Consumer<NodeConfig> opcua(Path dir, TestPlc.Application node, int port, Consumer<NodeConfig> tweak) {
        return c -> {
            c.line.stations = Map.of(STATION, DemoFixture.PRODUCT);
            c.opcua.enabled = true;
            c.opcua.host = "127.0.0.1";
            c.opcua.hostname = "localhost";
            c.opcua.port = port;
            c.opcua.pki = dir.resolve("pki").toString();
            try {
                c.opcua.certificate = node.certificatePem(Files.createDirectories(dir.resolve("node"))).toString();
                c.opcua.key = node.keyPem(dir.resolve("node")).toString();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            tweak.accept(c);
        };
    }

    private static Verdict score(RunningNode node, String part, Path image) throws Exception {
        ScoreRequest frame = DemoRequests.scoreRequest(image).toBuilder().clearProduct().setStation(STATION)
                .setPartId(part).build();
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS).score(frame)
                .getVerdict();
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
