package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
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

    /**
     * What vertx-grpc itself could not answer, sent by Vert.x's HTTP/2 client as raw frames: a message flagged
     * compressed in a call that names no encoding (it used to throw on the event loop, the call never answered), a
     * path that is no method name (no leading slash; control characters, which used to be echoed into a header HTTP/2
     * refuses to send), an encoding the node does not speak, and a gzip message that inflates to 64 MiB (it used to be
     * inflated without a bound). A gzip message that is what it says is scored.
     */
    @Test
    void callsTheGrpcLayerCannotParseAreAnsweredWithoutEchoingTheClient() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> c.models.enabled = true)) {
            Vertx client = Vertx.vertx();
            try {
                RawHttp2 http = new RawHttp2(client, node.server.port());
                Buffer flaggedCompressed = message(true, new byte[] {1, 2, 3});
                for (String method : List.of("/kdedge.v1.Inspection/Score", "/kdedge.v1.Models/DescribeProduct",
                        "/kdedge.v1.Models/UploadNormals", "/grpc.health.v1.Health/Check")) {
                    RawAnswer answer = http.call(method, null, flaggedCompressed);
                    assertEquals("3", answer.status(), method + ": " + answer);
                    assertTrue(answer.message().contains("names no grpc-encoding"), answer.toString());
                }
                RawAnswer stream = http.call("/kdedge.v1.Inspection/InspectStream", null,
                        flaggedCompressed.copy().appendBuffer(message(false, frame(7))));
                assertEquals("0", stream.status(), stream.toString());
                List<FrameResult> frames = stream.messages(FrameResult::parseFrom);
                assertEquals(2, frames.size(), frames.toString());
                assertEquals(Status.Code.INVALID_ARGUMENT.value(), frames.get(0).getError().getCode());
                assertTrue(frames.get(1).getFrameId() == 7 && frames.get(1).hasResult(), frames.toString());

                for (String path : List.of("kdedge.v1.Inspection/Score", "/kdedge.v1.Inspection/Sc\u0001ore",
                        "/kdedge.v1.Inspection/Score\r\nx-injected: 1", "/nosuch/M\u0007")) {
                    RawAnswer answer = http.call(path, null, message(false, new byte[0]));
                    assertEquals("12", answer.status(), answer.toString());
                    assertFalse(answer.message().contains("Sc") || answer.message().contains("nosuch"),
                            answer.toString());
                    assertEquals(null, answer.headers().get("x-injected"));
                }
                RawAnswer brotli = http.call("/kdedge.v1.Inspection/Score", "br", message(true, new byte[] {1}));
                assertEquals("12", brotli.status(), brotli.toString());
                assertEquals("gzip", brotli.headers().get("grpc-accept-encoding"));

                ByteArrayOutputStream zeros = new ByteArrayOutputStream();
                try (GZIPOutputStream gzip = new GZIPOutputStream(zeros)) {
                    byte[] megabyte = new byte[1 << 20];
                    for (int i = 0; i < 64; i++) {
                        gzip.write(megabyte);
                    }
                }
                RawAnswer bomb = http.call("/kdedge.v1.Inspection/Score", "gzip", message(true, zeros.toByteArray()));
                assertEquals("8", bomb.status(), bomb.toString());
                assertTrue(bomb.message().contains("server.maxMessageBytes"), bomb.toString());
            } finally {
                client.close().await();
            }
            assertTrue(InspectionGrpc.newBlockingStub(node.channel).withCompression("gzip")
                    .withDeadlineAfter(60, TimeUnit.SECONDS).score(DemoRequests.scoreRequest(DemoFixture.sampleGood()))
                    .hasVerdict(), "a gzip request is scored");
        }
    }

    /** A gRPC answer as it came over the wire: status and message from the trailers, or from the headers alone. */
    private record RawAnswer(MultiMap headers, MultiMap trailers, Buffer body) {
        String status() {
            return trailers.contains("grpc-status") ? trailers.get("grpc-status") : headers.get("grpc-status");
        }

        /** Percent-decoded, as the gRPC protocol encodes it. */
        String message() {
            String message = trailers.contains("grpc-status") ? trailers.get("grpc-message")
                    : headers.get("grpc-message");
            return message == null ? "" : URLDecoder.decode(message, StandardCharsets.UTF_8);
        }

        <T> List<T> messages(Parser<T> parser) throws Exception {
            List<T> messages = new ArrayList<>();
            for (int at = 0; at < body.length(); at += 5 + body.getInt(at + 1)) {
                messages.add(parser.parse(body.getBytes(at + 5, at + 5 + body.getInt(at + 1))));
            }
            return messages;
        }
    }

    @FunctionalInterface
    private interface Parser<T> {
        T parse(byte[] bytes) throws Exception;
    }

    /**
     * Vert.x's HTTP/2 client (prior knowledge, no TLS): each call on a connection of its own, composed on one of the
     * client's event loops. Composed from the test thread, a step can be added after the response has arrived: it then
     * runs later on the event loop, after a trailers-only answer has already ended, and body() never completes.
     */
    private record RawHttp2(Vertx vertx, int port) {
        RawAnswer call(String path, String encoding, Buffer body) throws Exception {
            HttpClient http = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(port));
            try {
                Promise<RawAnswer> answer = Promise.promise();
                vertx.runOnContext(onEventLoop -> http.request(new RequestOptions().setMethod(HttpMethod.POST)
                        .setURI(path)).compose(request -> {
                            request.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
                            if (encoding != null) {
                                request.putHeader("grpc-encoding", encoding);
                            }
                            return request.send(body);
                        }).compose(response -> response.body().map(received -> new RawAnswer(response.headers(),
                                response.trailers(), received))).onComplete(answer));
                return answer.future().await(30, TimeUnit.SECONDS);
            } finally {
                http.close().await(10, TimeUnit.SECONDS);
            }
        }
    }

    /** One length-prefixed gRPC message. */
    private static Buffer message(boolean flaggedCompressed, byte[] payload) {
        return Buffer.buffer().appendByte((byte) (flaggedCompressed ? 1 : 0)).appendInt(payload.length)
                .appendBytes(payload);
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
