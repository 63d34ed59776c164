package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Messages the node cannot decode, sent as raw bytes by grpc-java over a socket: each unary call is answered
 * INVALID_ARGUMENT at once, as is one that ends without a message (both used to get no status and wait for their
 * deadline), and a camera stream answers an unreadable frame as frame 0 and goes on scoring the next (it used to be
 * reset).
 */
class UndecodableMessagesTest {
    /** Field 1 (product, a string) holding bytes that are not UTF-8. */
    private static final byte[] INVALID_UTF8 = {0x0A, 0x02, (byte) 0xC3, 0x28};
    /** Field 1 with wire type 3 (start group), which no field of ours has, and no end. */
    private static final byte[] WRONG_WIRE_TYPE = {0x0B, 0x01, 0x02};
    /** Field 1 declaring 100 bytes, followed by 2. */
    private static final byte[] LENGTH_BEYOND_BODY = {0x0A, 0x64, 0x41, 0x42};

    @Test
    void unaryCallsAreAnsweredInvalidArgumentAndStreamsGoOn() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            for (String method : List.of("kdedge.v1.Inspection/Score", "kdedge.v1.Models/DescribeProduct")) {
                for (byte[] message : List.of(INVALID_UTF8, WRONG_WIRE_TYPE, LENGTH_BEYOND_BODY)) {
                    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                            () -> ClientCalls.blockingUnaryCall(node.channel, raw(method, MethodDescriptor.MethodType.UNARY),
                                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), message));
                    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), method + ": " + e.getStatus());
                    assertTrue(e.getStatus().getDescription().startsWith("malformed request message"),
                            e.getStatus().getDescription());
                }
            }

            CompletableFuture<Status> noMessage = new CompletableFuture<>();
            ClientCall<byte[], byte[]> empty = node.channel.newCall(raw("kdedge.v1.Inspection/Score",
                    MethodDescriptor.MethodType.UNARY), CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
            empty.start(new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    noMessage.complete(status);
                }
            }, new Metadata());
            empty.halfClose();
            Status status = noMessage.get(30, TimeUnit.SECONDS);
            assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
            assertEquals("the call ended without a request message", status.getDescription());

            Map<Long, FrameResult> results = new ConcurrentHashMap<>();
            CompletableFuture<Status> ended = new CompletableFuture<>();
            ClientCall<byte[], byte[]> stream = node.channel.newCall(raw("kdedge.v1.Inspection/InspectStream",
                    MethodDescriptor.MethodType.BIDI_STREAMING), CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
            stream.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(byte[] message) {
                    try {
                        FrameResult result = FrameResult.parseFrom(message);
                        results.put(result.getFrameId(), result);
                    } catch (IOException e) {
                        ended.completeExceptionally(e);
                    }
                    stream.request(1);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    ended.complete(status);
                }
            }, new Metadata());
            stream.request(1);
            stream.sendMessage(frame(1));
            stream.sendMessage(INVALID_UTF8);
            stream.sendMessage(frame(2));
            stream.halfClose();
            assertEquals(Status.Code.OK, ended.get(60, TimeUnit.SECONDS).getCode());
            assertEquals(3, results.size(), results.toString());
            assertTrue(results.get(1L).hasResult() && results.get(2L).hasResult(), results.toString());
            assertEquals(Status.Code.INVALID_ARGUMENT.value(), results.get(0L).getError().getCode());
        }
    }

    private static byte[] frame(long id) throws Exception {
        return FrameRequest.newBuilder().setFrameId(id).setRequest(DemoRequests.scoreRequest(DemoFixture.sampleGood()))
                .build().toByteArray();
    }

    private static MethodDescriptor<byte[], byte[]> raw(String method, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName(method)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };
}
