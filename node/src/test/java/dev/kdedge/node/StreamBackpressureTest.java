package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Camera streams push back instead of being read and refused: a stream whose frames find the node full waits with its
 * window of frames, and a camera that never reads its results stops the node reading its frames once the results it
 * has not taken fill the HTTP/2 window.
 */
class StreamBackpressureTest {
    private static final int FRAMES = 3000;
    /** The client's receive window: a camera that does not read lets at most this many result bytes pile up. */
    private static final int CLIENT_WINDOW = 8 * 1024;

    @Test
    void framesThatFindTheNodeFullWaitInsteadOfBeingRefused() throws Exception {
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, 2)) {
            node.hold(0);
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            List<FrameResult> results = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> ended = new CompletableFuture<>();
            StreamObserver<FrameRequest> camera = InspectionGrpc.newStub(node.channel).inspectStream(
                    new StreamObserver<>() {
                        @Override
                        public void onNext(FrameResult result) {
                            results.add(result);
                        }

                        @Override
                        public void onError(Throwable t) {
                            ended.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            ended.complete(null);
                        }
                    });
            int frames = 40;
            for (int i = 0; i < frames; i++) {
                camera.onNext(FrameRequest.newBuilder().setFrameId(i).setRequest(request).build());
            }
            camera.onCompleted();
            // Two frames fill the queue and two more wait for room; with the node full nothing comes back, not a
            // stream of refusals.
            Thread.sleep(1000);
            assertEquals(List.of(), results, "results while the node was full");
            node.release();
            ended.get(2, TimeUnit.MINUTES);
            assertEquals(frames, results.size());
            for (FrameResult result : results) {
                assertTrue(result.hasResult(), "frame " + result.getFrameId() + ": " + result.getError());
            }
        }
    }

    @Test
    void aCameraThatNeverReadsStopsTheNodeReadingItsFrames() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.server.port()).usePlaintext()
                    .flowControlWindow(CLIENT_WINDOW).build();
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            ClientCallStreamObserver<FrameRequest> stream = NeverReadingCamera.open(channel);
            int sent = 0;
            long stalledSince = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (sent < FRAMES && System.nanoTime() < until) {
                if (stream.isReady()) {
                    stream.onNext(FrameRequest.newBuilder().setFrameId(sent).setRequest(request).build());
                    sent++;
                    stalledSince = 0;
                } else if (stalledSince == 0) {
                    stalledSince = System.nanoTime();
                } else if (System.nanoTime() - stalledSince > TimeUnit.SECONDS.toNanos(3)) {
                    break;
                }
                Thread.onSpinWait();
            }
            System.out.printf("a camera that never reads sent %d of %d frames before the node stopped reading%n", sent,
                    FRAMES);
            assertTrue(sent < FRAMES / 5, "the node kept reading: " + sent + " frames taken");
            stream.cancel("done", null);
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

            var verdict = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .score(request).getVerdict();
            assertEquals(DemoFixture.PRODUCT, verdict.getProduct());
        }
    }
}
