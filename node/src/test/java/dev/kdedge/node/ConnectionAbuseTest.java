package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Clients that abuse HTTP/2 over a real socket: one that resets streams faster than {@code server.maxResetsPerWindow}
 * allows is closed, counted and logged while other connections are served; cancelled streams with replies waiting to
 * be written leave no exception behind ({@link RunningNode} fails on any left unhandled on an event loop).
 */
class ConnectionAbuseTest {
    private static final int MAX_RESETS = 50;

    @Test
    void aConnectionThatResetsTooManyStreamsIsClosedAndTheOthersAreServed() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> c.server.maxResetsPerWindow = MAX_RESETS)) {
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            InspectionGrpc.InspectionBlockingStub polite = InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            polite.score(request);
            ManagedChannel abusive = fromAnotherAddress(node.server.port());
            try {
                InspectionGrpc.InspectionStub stub = InspectionGrpc.newStub(abusive);
                for (int i = 0; i < 2 * MAX_RESETS; i++) {
                    Context.CancellableContext call = Context.current().withCancellation();
                    call.run(() -> ScoreCalls.status(stub, request));
                    Thread.sleep(3);
                    call.cancel(null);
                }
                awaitMetric(node, "kdedge_connections_closed_total{reason=\"enhance_your_calm\"} 1.0");
            } finally {
                abusive.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertTrue(polite.score(request).hasVerdict(), "another connection is still served");
        }
    }

    /**
     * A client that reconnects before any one connection reaches the limit is held to it across its connections: its
     * connections are closed and new ones refused for one window, while another client is served; after the window it
     * is let in again.
     */
    @Test
    void aClientThatReconnectsIsHeldToTheLimitAcrossItsConnections() throws Exception {
        int windowSeconds = 10;
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {
            c.server.maxResetsPerWindow = MAX_RESETS;
            c.server.resetWindowSeconds = windowSeconds;
        })) {
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            InspectionGrpc.InspectionBlockingStub polite = InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            polite.score(request);
            for (int connection = 0; connection < 3; connection++) {
                ManagedChannel abusive = fromAnotherAddress(node.server.port());
                try {
                    InspectionGrpc.InspectionStub stub = InspectionGrpc.newStub(abusive);
                    for (int i = 0; i < MAX_RESETS * 3 / 5; i++) {
                        Context.CancellableContext call = Context.current().withCancellation();
                        call.run(() -> ScoreCalls.status(stub, request));
                        Thread.sleep(3);
                        call.cancel(null);
                    }
                } finally {
                    abusive.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
            awaitMetric(node, "kdedge_connections_closed_total{reason=\"client_resets\"}");
            long blocked = System.nanoTime();
            assertFalse(MetricsScrape.of(node).contains("enhance_your_calm"), "no connection reached the limit alone");

            ManagedChannel again = fromAnotherAddress(node.server.port());
            try {
                Status.Code refused = ScoreCalls.status(InspectionGrpc.newStub(again), request).get(60, TimeUnit.SECONDS);
                assertTrue(System.nanoTime() - blocked < TimeUnit.SECONDS.toNanos(windowSeconds),
                        "the refusal came too late to tell");
                assertEquals(Status.Code.UNAVAILABLE, refused);
                assertTrue(polite.score(request).hasVerdict(), "another client is still served");

                Thread.sleep(TimeUnit.SECONDS.toMillis(windowSeconds));
                assertEquals(Status.Code.OK, ScoreCalls.status(InspectionGrpc.newStub(again), request)
                        .get(60, TimeUnit.SECONDS), "after its window the client is let in again");
            } finally {
                again.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A channel whose connections come from 127.0.0.2: another client, as a node without TLS tells clients apart. */
    private static ManagedChannel fromAnotherAddress(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
                    @Override
                    public SocketAddress createSocketAddress(SocketAddress remote, Attributes attributes) {
                        return new InetSocketAddress("127.0.0.2", 0);
                    }
                }).build();
    }

    @Test
    void cancelledStreamsWithRepliesWaitingLeaveNoExceptionBehind() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            ScoreRequest withLargeHeatmap = DemoRequests.scoreRequest(DemoFixture.sampleGood()).toBuilder()
                    .setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.RAW_FLOAT32)
                            .setWidth(1024).setHeight(1024)).build();
            List<ClientCallStreamObserver<FrameRequest>> streams = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                streams.add(NeverReadingCamera.stream(node.channel, withLargeHeatmap, 12));
            }
            // Each 4 MiB reply fills the stream's flow-control window: the node's replies wait to be written.
            awaitMetric(node, "kdedge_request_duration_seconds_count{product=\"demo\",rpc=\"InspectStream\",version=\"1\"}");
            Thread.sleep(500);
            streams.forEach(stream -> stream.cancel("the camera went away", null));
            Thread.sleep(500);
            assertTrue(InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).hasVerdict());
        }
    }

    /**
     * Every distinct HTTP method a client sent used to add about 11 series that never went away (20,000 requests: 274
     * series to 220,284). Now 10,000 requests with distinct methods, to the metrics port and to the gRPC port, add none
     * (checked failing with the method label back).
     */
    @Test
    void requestsWithDistinctHttpMethodsAddNoSeries() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            int grpcPort = node.server.port();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI metrics = URI.create("http://127.0.0.1:" + node.server.metricsPort().orElseThrow() + "/");
            // the responses' codes once, so that a new code does not count as growth
            sendWithMethod(grpcPort, "WARMUP");
            http.send(HttpRequest.newBuilder(metrics).method("WARMUP", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
            MetricsScrape.of(node); // a scrape's own 200, once
            Set<String> before = series(MetricsScrape.of(node));
            for (int i = 0; i < 10_000; i++) {
                if (i % 10 == 0) {
                    sendWithMethod(grpcPort, "M" + i);
                } else {
                    http.send(HttpRequest.newBuilder(metrics).method("M" + i, HttpRequest.BodyPublishers.noBody())
                            .build(), HttpResponse.BodyHandlers.discarding());
                }
            }
            Set<String> added = series(MetricsScrape.of(node));
            added.removeAll(before);
            assertEquals(Set.of(), added, "series added by client-chosen methods");
        }
    }

    /** One HTTP/1.1 request with {@code method} on a connection of its own, read to its end. */
    private static void sendWithMethod(int port, String method) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((method + " / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().readAllBytes();
        }
    }

    /** A client that opens a connection and sends nothing holds a file descriptor only until the idle timeout. */
    @Test
    void anIdleConnectionIsClosed() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> c.server.idleTimeoutSeconds = 1);
                Socket silent = new Socket("127.0.0.1", node.server.port())) {
            silent.setSoTimeout(30_000);
            long start = System.nanoTime();
            assertEquals(-1, silent.getInputStream().read(), "the node closes the connection");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
        }
    }

    /** Each of Vert.x's series (HTTP, pools), by name and labels; the JVM's (a new GC cause) are not a client's doing. */
    private static Set<String> series(String scrape) {
        return scrape.lines().filter(line -> line.startsWith("vertx_"))
                .map(line -> line.substring(0, line.lastIndexOf(' '))).collect(Collectors.toCollection(HashSet::new));
    }

    private static void awaitMetric(RunningNode node, String line) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String scraped = "";
        while (System.nanoTime() < until) {
            scraped = MetricsScrape.of(node);
            if (scraped.contains(line)) {
                return;
            }
            Thread.sleep(100);
        }
        assertEquals(line, scraped, "the node's metrics never showed it");
    }
}
