package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * No client keeps another out of the scoring queue: calls nobody waits for any more give their slot back at once and
 * never reach a worker (cancelled, or their deadline passed), and one connection holds at most its share of the queue.
 */
class AbandonedCallsTest {
    private static final int QUEUE = 4;

    @Test
    void cancelledCallsLeaveTheQueueAndAnotherClientIsServed() throws Exception {
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, QUEUE)) {
            node.hold(0);
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            InspectionGrpc.InspectionStub flooding = InspectionGrpc.newStub(node.channel);
            List<Context.CancellableContext> calls = new ArrayList<>();
            for (int i = 0; i < QUEUE; i++) {
                Context.CancellableContext call = Context.current().withCancellation();
                call.run(() -> ScoreCalls.status(flooding, request));
                calls.add(call);
            }
            awaitQueued(node, QUEUE);
            calls.forEach(call -> call.cancel(null));
            // Out of the queue while the only worker is still held: not one of them will ever run.
            awaitQueued(node, 0);

            List<CompletableFuture<Status.Code>> polite = politeClientCalls(node, request, QUEUE);
            node.release();
            assertAllServed(polite);
        }
    }

    @Test
    void callsWhoseDeadlinePassedLeaveTheQueueAtOnce() throws Exception {
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, QUEUE)) {
            node.hold(0);
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            List<CompletableFuture<Status.Code>> hurried = new ArrayList<>();
            for (int i = 0; i < QUEUE; i++) {
                hurried.add(ScoreCalls.status(InspectionGrpc.newStub(node.channel)
                        .withDeadlineAfter(300, TimeUnit.MILLISECONDS), request));
            }
            for (CompletableFuture<Status.Code> status : hurried) {
                assertEquals(Status.Code.DEADLINE_EXCEEDED, status.get(30, TimeUnit.SECONDS));
            }
            awaitQueued(node, 0);
            List<CompletableFuture<Status.Code>> polite = politeClientCalls(node, request, QUEUE);
            node.release();
            assertAllServed(polite);
        }
    }

    @Test
    void aFloodingClientGetsItsShareOfTheQueueAndNoMore() throws Exception {
        int share = QUEUE / 2;
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, QUEUE, share, null)) {
            node.hold(0);
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            List<CompletableFuture<Status.Code>> flood = new ArrayList<>();
            for (int i = 0; i < QUEUE; i++) {
                flood.add(ScoreCalls.status(InspectionGrpc.newStub(node.channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS), request));
            }
            awaitQueued(node, share);
            for (CompletableFuture<Status.Code> refused : flood.stream().filter(CompletableFuture::isDone).toList()) {
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.get());
            }
            List<CompletableFuture<Status.Code>> polite = politeClientCalls(node, request, share);
            node.release();
            assertAllServed(polite);
            long served = 0;
            for (CompletableFuture<Status.Code> status : flood) {
                served += status.get(60, TimeUnit.SECONDS) == Status.Code.OK ? 1 : 0;
            }
            assertEquals(share, served, "the flooding client is served its share");
        }
    }

    @Test
    void aPoliteClientsCallWaitsForOneFloodCallPerWorkerNotForTheWholeFlood() throws Exception {
        int queue = 8;
        int flooded = queue - 1;
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, queue, flooded, null)) {
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            // The engine loaded first: each call is then one task on the worker, in the order the queue gives.
            InspectionGrpc.newBlockingStub(node.channel).score(request);
            node.hold(0);
            List<CompletableFuture<Status.Code>> flood = new ArrayList<>();
            for (int i = 0; i < flooded; i++) {
                flood.add(ScoreCalls.status(InspectionGrpc.newStub(node.channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS), request));
            }
            awaitQueued(node, flooded);
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext().build();
            try {
                CompletableFuture<Status.Code> polite = ScoreCalls.status(InspectionGrpc.newStub(channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS), request);
                awaitQueued(node, queue);
                // The calls in the order the worker would take them, run one at a time on this thread: each is
                // answered before the next starts, so the order they are answered in is the order of service.
                List<Runnable> inTurn = new ArrayList<>();
                node.workers.getQueue().drainTo(inTurn);
                List<CompletableFuture<Status.Code>> all = new ArrayList<>(flood);
                all.add(polite);
                int politeTurn = 0;
                for (int turn = 1; turn <= inTurn.size(); turn++) {
                    inTurn.get(turn - 1).run();
                    awaitAnswered(all, turn);
                    politeTurn = politeTurn == 0 && polite.isDone() ? turn : politeTurn;
                }
                node.release();
                // The one worker takes the clients in turn: the flood's first call, then the polite one. First come,
                // first served, it would have come after all the flood's calls.
                assertEquals(2, politeTurn, "the polite client's call was served in turn " + politeTurn + " of "
                        + inTurn.size());
                assertEquals(Status.Code.OK, polite.get(60, TimeUnit.SECONDS));
                assertAllServed(flood);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static void awaitAnswered(List<CompletableFuture<Status.Code>> calls, int count)
            throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (calls.stream().filter(CompletableFuture::isDone).count() < count) {
            assertTrue(System.nanoTime() < until, "call " + count + " was never answered");
            Thread.sleep(1);
        }
    }

    private static void assertAllServed(List<CompletableFuture<Status.Code>> calls) throws Exception {
        for (CompletableFuture<Status.Code> status : calls) {
            assertEquals(Status.Code.OK, status.get(60, TimeUnit.SECONDS));
        }
    }

    /** {@code count} calls from a second client on its own connection that fill the queue, all accepted. */
    private static List<CompletableFuture<Status.Code>> politeClientCalls(HeldWorkersNode node, ScoreRequest request,
            int count) throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext().build();
        List<CompletableFuture<Status.Code>> polite = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            polite.add(ScoreCalls.status(InspectionGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS),
                    request));
        }
        awaitQueued(node, QUEUE);
        for (CompletableFuture<Status.Code> status : polite) {
            assertTrue(!status.isDone(), "a polite call was refused: " + status.getNow(null));
        }
        for (CompletableFuture<Status.Code> status : polite) {
            status.whenComplete((code, failure) -> channel.shutdown());
        }
        return polite;
    }

    private static void awaitQueued(HeldWorkersNode node, int size) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (node.workers.getQueue().size() != size) {
            assertTrue(System.nanoTime() < until, "queue holds " + node.workers.getQueue().size() + ", not " + size);
            Thread.sleep(5);
        }
    }
}
