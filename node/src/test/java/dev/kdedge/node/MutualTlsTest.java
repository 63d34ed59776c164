package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.GetStationRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.LineGrpc;
import dev.kdedge.api.v1.ListProductsRequest;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.PrepareRecipeRequest;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.node.config.NodeConfig;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS with roles over real sockets, with certificates this test generates: grpc-java, Python's grpcio and
 * kdedge-calibrate as clients; each role allowed and refused; certificates the node must not accept; a rotation on
 * disk picked up by the next connection.
 */
class MutualTlsTest {
    @TempDir
    static Path dir;
    static TestPki.Authority plantCa;
    static TestPki.Authority otherCa;
    static Path plantCaFile;
    static TestPki.PemFiles camera;
    static TestPki.PemFiles engineer;
    static TestPki.PemFiles observer;
    static TestPki.PemFiles line;
    static TestPki.PemFiles visitor;
    static RunningNode node;

    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void startNode() throws Exception {
        plantCa = new TestPki.Authority("Plant 7 CA");
        otherCa = new TestPki.Authority("Some other CA");
        plantCaFile = plantCa.writeCertificate(dir.resolve("plant-ca.crt"));
        camera = plantCa.client("camera").written(dir, "camera");
        engineer = plantCa.client("engineer").written(dir, "engineer");
        observer = plantCa.client("observer").written(dir, "observer");
        line = plantCa.client("line").written(dir, "line");
        visitor = plantCa.client("visitors").written(dir, "visitor");
        TestPki.PemFiles server = plantCa.server().written(dir, "node");
        node = new RunningNode(DemoFixture.copyOfStore(dir.resolve("store")), c -> {
            mutualTls(c, server, plantCaFile, 30);
            c.line.stations = Map.of("press-3", DemoFixture.PRODUCT);
        });
    }

    static void mutualTls(NodeConfig config, TestPki.PemFiles server, Path clientCa, int reloadSeconds) {
        config.server.plaintext = false;
        config.models.enabled = true;
        config.tls = new NodeConfig.Tls();
        config.tls.certificate = server.certificate().toString();
        config.tls.key = server.key().toString();
        config.tls.clientCa = clientCa.toString();
        config.tls.reloadSeconds = reloadSeconds;
    }

    @AfterAll
    static void stopNode() throws Exception {
        node.close();
    }

    @AfterEach
    void closeChannels() throws Exception {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private ManagedChannel channel(int port, Path trustedCa, TestPki.PemFiles client) throws Exception {
        TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(trustedCa.toFile());
        if (client != null) {
            tls.keyManager(client.certificate().toFile(), client.key().toFile());
        }
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, tls.build()).build();
        channels.add(channel);
        return channel;
    }

    private ManagedChannel channel(TestPki.PemFiles client) throws Exception {
        return channel(node.server.port(), plantCaFile, client);
    }

    private static InspectionGrpc.InspectionBlockingStub inspection(ManagedChannel channel) {
        return InspectionGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static ResultsGrpc.ResultsBlockingStub results(ManagedChannel channel) {
        return ResultsGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static LineGrpc.LineBlockingStub line(ManagedChannel channel) {
        return LineGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static ModelsGrpc.ModelsBlockingStub models(ManagedChannel channel) {
        return ModelsGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static void assertDenied(String expectedMessage, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.toString());
        assertEquals(expectedMessage, e.getStatus().getDescription());
    }

    private static final GetResultRequest SN_4711 = GetResultRequest.newBuilder().setPartId("SN-4711").build();
    private static final PromoteRequest PROMOTE_ACTIVE =
            PromoteRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setVersion(1).build();

    @Test
    void eachRoleIsAllowedItsCallsAndRefusedTheRest() throws Exception {
        ManagedChannel asCamera = channel(camera);
        Verdict cameras = inspection(asCamera).score(DemoRequests.scoreRequest(DemoFixture.sampleDefect())
                .toBuilder().setPartId("SN-4711").build()).getVerdict();
        assertTrue(cameras.getIsAnomalous());
        assertEquals(1, models(asCamera).listProducts(ListProductsRequest.getDefaultInstance()).getProductsCount());
        assertDenied("Promote needs role engineer; this client's certificate grants role camera",
                () -> models(asCamera).promote(PROMOTE_ACTIVE));
        assertDenied("GetResult needs role engineer or observer or line; this client's certificate grants role camera",
                () -> results(asCamera).getResult(SN_4711));

        ManagedChannel asEngineer = channel(engineer);
        assertTrue(inspection(asEngineer).score(DemoRequests.scoreRequest(DemoFixture.sampleDefect())).hasVerdict());
        assertEquals(1, models(asEngineer).promote(PROMOTE_ACTIVE).getActiveVersion());

        ManagedChannel asObserver = channel(observer);
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(asObserver)
                .check(HealthCheckRequest.newBuilder().setService("kdedge.v1.Inspection").build()).getStatus());
        assertEquals(1, models(asObserver).listProducts(ListProductsRequest.getDefaultInstance()).getProductsCount());
        assertDenied("Score needs role camera or engineer; this client's certificate grants role observer",
                () -> inspection(asObserver).score(DemoRequests.scoreRequest(DemoFixture.sampleGood())));
        // the rejected part's image is kept after the reply, on the evidence store's thread: read the record once
        // it is, so that every role below reads the same
        InspectionRecord recorded = results(asObserver).getResult(SN_4711);
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                !recorded.getImageKept() && System.nanoTime() < until; ) {
            Thread.sleep(50);
            recorded = results(asObserver).getResult(SN_4711);
        }
        assertTrue(recorded.getImageKept(), recorded.toString());
        assertEquals(cameras.getResultId(), recorded.getResultId());
        assertTrue(recorded.getClient().contains("OU=camera"), "the camera's certificate subject is recorded: "
                + recorded.getClient());
        assertEquals(recorded, results(asEngineer).getResult(SN_4711));

        ManagedChannel asVisitor = channel(visitor);
        assertDenied("ListProducts needs role camera or engineer or observer or line; this client's certificate "
                + "grants no role (OU: ['visitors'])",
                () -> models(asVisitor).listProducts(ListProductsRequest.getDefaultInstance()));

        // a line PLC's gateway follows the results and switches recipes, and scores nothing; an observer only looks
        ManagedChannel asLine = channel(line);
        assertEquals(recorded, results(asLine).getResult(SN_4711));
        assertDenied("Score needs role camera or engineer; this client's certificate grants role line",
                () -> inspection(asLine).score(DemoRequests.scoreRequest(DemoFixture.sampleGood())));
        PrepareRecipeRequest prepare = PrepareRecipeRequest.newBuilder().setStation("press-3")
                .setProduct(DemoFixture.PRODUCT).build();
        assertEquals(DemoFixture.PRODUCT, line(asLine).prepareRecipe(prepare).getRecipe());
        assertEquals("press-3", line(asObserver).getStation(GetStationRequest.newBuilder().setStation("press-3")
                .build()).getName());
        assertDenied("PrepareRecipe needs role engineer or line; this client's certificate grants role observer",
                () -> line(asObserver).prepareRecipe(prepare));
        assertDenied("PrepareRecipe needs role engineer or line; this client's certificate grants role camera",
                () -> line(asCamera).prepareRecipe(prepare));
    }

    /**
     * Roles add up: a certificate whose subject has two role units (issued so by the plant's CA) gets both, and still
     * none it was not given. Intended: the CA decides who holds which role; the README says so.
     */
    @Test
    void aCertificateWithTwoRoleUnitsHoldsBothRolesAndNoOther() throws Exception {
        ManagedChannel both = channel(plantCa.clientOfUnits("camera", "observer").written(dir, "camera-observer"));
        assertTrue(inspection(both).score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).hasVerdict());
        assertDenied("Promote needs role engineer; this client's certificate grants role camera or observer",
                () -> models(both).promote(PROMOTE_ACTIVE));
    }

    @Test
    void certificatesTheNodeMustNotAcceptAreRefusedAtTheHandshake() throws Exception {
        Instant now = Instant.now();
        TestPki.PemFiles expired = plantCa.client("camera", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))
                .written(dir, "expired-camera");
        TestPki.PemFiles foreign = otherCa.client("camera").written(dir, "foreign-camera");
        ManagedChannel plaintext = Grpc.newChannelBuilderForAddress("localhost", node.server.port(),
                InsecureChannelCredentials.create()).build();
        channels.add(plaintext);
        for (ManagedChannel refused : List.of(channel(expired), channel(foreign), channel(null), plaintext)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> inspection(refused).score(DemoRequests.scoreRequest(DemoFixture.sampleGood())));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        }
        assertTrue(inspection(channel(camera)).score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).hasVerdict());
    }

    @Test
    void pythonGrpcioConnectsWithItsCertificate(@TempDir Path stubs) throws Exception {
        PythonGrpc.generateStubs(stubs);
        TestPki.PemFiles foreign = otherCa.client("camera").written(dir, "python-foreign-camera");
        String address = "localhost:" + node.server.port();
        PythonGrpc.Result asCamera = python(stubs, address, camera);
        assertEquals(0, asCamera.exitCode(), asCamera.output());
        assertTrue(asCamera.lastLine().contains("\"is_anomalous\": true"), asCamera.output());

        PythonGrpc.Result asObserver = python(stubs, address, observer);
        assertEquals(3, asObserver.exitCode(), asObserver.output());
        assertTrue(asObserver.output().contains("PERMISSION_DENIED: Score needs role camera or engineer"),
                asObserver.output());

        PythonGrpc.Result asForeign = python(stubs, address, foreign);
        assertEquals(3, asForeign.exitCode(), asForeign.output());
        assertTrue(asForeign.output().contains("UNAVAILABLE"), asForeign.output());
    }

    private static PythonGrpc.Result python(Path stubs, String address, TestPki.PemFiles client) throws Exception {
        return PythonGrpc.runScript("score_client.py", List.of(stubs.toString(), address, DemoFixture.PRODUCT,
                DemoFixture.sampleDefect().toString(), plantCaFile.toString(), client.certificate().toString(),
                client.key().toString()));
    }

    @Test
    void kdedgeCalibrateTakesClientCertificates() throws Exception {
        String nodeAddress = "--node=localhost:" + node.server.port();
        CalibrateCli.Run score = CalibrateCli.run("score", nodeAddress, "--product=demo",
                "--image=" + DemoFixture.sampleDefect(), "--tls-ca=" + plantCaFile, "--tls-cert=" + camera.certificate(),
                "--tls-key=" + camera.key());
        assertEquals(2, score.exitCode(), score.out() + score.err());

        CalibrateCli.Run cameraPromotes = CalibrateCli.run("remote", "promote", nodeAddress, "--product=demo",
                "--version=1", "--tls-ca=" + plantCaFile, "--tls-cert=" + camera.certificate(),
                "--tls-key=" + camera.key());
        assertEquals(1, cameraPromotes.exitCode());
        assertTrue(cameraPromotes.err().contains("PERMISSION_DENIED: Promote needs role engineer"), cameraPromotes.err());

        CalibrateCli.Run engineerPromotes = CalibrateCli.run("remote", "promote", nodeAddress, "--product=demo",
                "--version=1", "--tls-ca=" + plantCaFile, "--tls-cert=" + engineer.certificate(),
                "--tls-key=" + engineer.key());
        assertEquals(0, engineerPromotes.exitCode(), engineerPromotes.err());
    }

    @Test
    void certificatesRotatedOnDiskAreUsedByTheNextConnection(@TempDir Path rotation) throws Exception {
        TestPki.PemFiles served = plantCa.server().written(rotation, "node");
        Path clientCa = plantCa.writeCertificate(rotation.resolve("client-ca.crt"));
        try (RunningNode rotating = new RunningNode(DemoFixture.store(), c -> mutualTls(c, served, clientCa, 1))) {
            int port = rotating.server.port();
            TestPki.PemFiles next = otherCa.server().written(dir, "next-node");
            Path otherCaFile = otherCa.writeCertificate(dir.resolve("other-ca.crt"));

            // The new certificate lands first: until its key follows, the node keeps serving the old pair.
            Files.copy(next.certificate(), served.certificate(), StandardCopyOption.REPLACE_EXISTING);
            Thread.sleep(2500);
            assertTrue(inspection(channel(port, plantCaFile, camera))
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).hasVerdict());

            Files.copy(next.key(), served.key(), StandardCopyOption.REPLACE_EXISTING);
            awaitServed(port, otherCaFile, camera);

            TestPki.PemFiles foreignCamera = otherCa.client("camera").written(dir, "rotated-camera");
            Files.writeString(clientCa, Files.readString(plantCaFile) + Files.readString(otherCaFile));
            awaitServed(port, otherCaFile, foreignCamera);
        }
    }

    /** Waits until a new connection trusting {@code trustedCa} and presenting {@code client} is served. */
    private void awaitServed(int port, Path trustedCa, TestPki.PemFiles client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                inspection(channel(port, trustedCa, client)).score(DemoRequests.scoreRequest(DemoFixture.sampleGood()));
                return;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }
}
