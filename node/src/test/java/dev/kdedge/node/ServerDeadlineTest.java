package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionGrpcClient;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The node enforces a call's deadline itself. The client here (Vert.x's gRPC client with automatic deadlines off)
 * sends the deadline in the grpc-timeout header and never cancels, as a PLC gateway with a simple gRPC stack may do;
 * with every scoring worker held, only the node's own timer can end the call. And a call that waited past its deadline
 * leaves the node serving the next one.
 */
class ServerDeadlineTest {
    private static final long DEADLINE_MS = 300;

    private static ScoreRequest goodRequest() throws Exception {
        return DemoRequests.scoreRequest(DemoFixture.sampleGood());
    }

    @Test
    void scorePastItsDeadlineIsAnsweredByTheNode() throws Exception {
        ScoreRequest request = goodRequest();
        Ended ended = callWithServerOnlyDeadline(InspectionGrpcClient.Score, (call, results) -> call.end(request));
        assertEquals(GrpcStatus.DEADLINE_EXCEEDED, ended.status(), ended.toString());
        assertTrue(ended.message().contains("deadline of " + DEADLINE_MS + " ms exceeded"), ended.message());
    }

    @Test
    void cameraStreamPastItsDeadlineIsEndedByTheNode() throws Exception {
        ScoreRequest request = goodRequest();
        Ended ended = callWithServerOnlyDeadline(InspectionGrpcClient.InspectStream, (call, results) -> {
            for (long id = 1; id <= 3; id++) {
                call.write(FrameRequest.newBuilder().setFrameId(id).setRequest(request).build());
            }
            return Future.succeededFuture();
        });
        assertEquals(GrpcStatus.DEADLINE_EXCEEDED, ended.status(), ended.toString());
        assertTrue(ended.message().contains("deadline of " + DEADLINE_MS + " ms exceeded"), ended.message());
        assertEquals(List.of(), ended.replies(), "no frame can have been scored while the workers were held");
    }

    @Test
    void aCallQueuedPastItsDeadlineFailsAndTheNextIsServed() throws Exception {
        ScoreRequest request = goodRequest();
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, 8)) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel);
            node.hold(0);
            var expired = assertThrows(StatusRuntimeException.class,
                    () -> inspection.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).score(request));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, expired.getStatus().getCode());
            node.release();
            assertFalse(inspection.withDeadlineAfter(60, TimeUnit.SECONDS).score(request).getVerdict().getIsAnomalous());
        }
    }

    record Ended(GrpcStatus status, String message, List<Object> replies, long elapsedMs) {}

    /**
     * Holds every worker, makes the call with a {@value #DEADLINE_MS} ms deadline that the client does not enforce,
     * and returns how the call ended; the workers are released only after that.
     */
    private static <Req, Resp> Ended callWithServerOnlyDeadline(ServiceMethod<Resp, Req> method,
            BiFunction<io.vertx.grpc.client.GrpcClientRequest<Req, Resp>, List<Object>, Future<Void>> send)
            throws Exception {
        try (HeldWorkersNode node = new HeldWorkersNode(DemoFixture.store(), 1, 8)) {
            node.hold(0);
            GrpcClient client = GrpcClient.client(node.vertx, new GrpcClientOptions()
                    .setScheduleDeadlineAutomatically(false));
            List<Object> replies = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            GrpcClientResponse<Req, Resp> response = client.request(SocketAddress.inetSocketAddress(node.port(),
                    "127.0.0.1"), method).compose(call -> {
                        call.timeout(DEADLINE_MS, TimeUnit.MILLISECONDS);
                        send.apply(call, replies);
                        return call.response();
                    }).await(30, TimeUnit.SECONDS);
            response.handler(replies::add);
            response.end().recover(failure -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= DEADLINE_MS, "ended after " + elapsedMs + " ms, before its deadline");
            client.close().await();
            return new Ended(response.status(), String.valueOf(response.statusMessage()), replies, elapsedMs);
        }
    }
}
