package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
            ManagedChannel abusive = ManagedChannelBuilder.forAddress("127.0.0.1", node.server.port()).usePlaintext()
                    .build();
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
