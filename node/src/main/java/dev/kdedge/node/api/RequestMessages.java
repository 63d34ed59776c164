package dev.kdedge.node.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.InvalidMessageException;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.WireFormat;
import io.vertx.grpc.server.GrpcServerRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Request messages decoded by the node rather than by vertx-grpc (5.0.7), which leaves a call unanswered or resets it
 * when a message cannot be decoded, and inflates a gzip message without any bound. Here every message that cannot be
 * read is an {@link UnreadableMessageException} saying why, and a compressed message may inflate to no more than
 * {@code server.maxMessageBytes}. {@link MalformedCallGate} renames the calls' encodings so that vertx-grpc hands
 * compressed messages over as they came.
 */
final class RequestMessages {
    /** A call's {@code grpc-encoding: gzip}, renamed so that vertx-grpc does not inflate its messages itself. */
    static final String GZIP = "kdedge-gzip";
    /** A call that named no encoding, so that a message flagged compressed reaches the node instead of a throw. */
    static final String NONE = "kdedge-none";

    private final long maxMessageBytes;

    RequestMessages(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * The request of a call that takes exactly one (unary and server-streaming), once the client has ended sending.
     * Fails with an {@link UnreadableMessageException}; stays incomplete when the client goes first.
     */
    <T> Future<T> single(GrpcServerRequest<T, ?> call, ServiceMethod<T, ?> method) {
        return single(call, method, method.decoder());
    }

    /** {@link #single(GrpcServerRequest, ServiceMethod)} with a decoder of the caller's (an {@link AliasingDecoder}). */
    <T> Future<T> single(GrpcServerRequest<T, ?> call, ServiceMethod<T, ?> method, GrpcMessageDecoder<T> decoder) {
        Promise<T> request = Promise.promise();
        GrpcMessage[] received = new GrpcMessage[1];
        int[] count = new int[1];
        call.messageHandler(message -> {
            received[0] = message;
            count[0]++;
        });
        call.invalidMessageHandler(invalid -> request.tryFail(new UnreadableMessageException(invalid(invalid))));
        call.endHandler(ended -> {
            if (count[0] == 0) {
                request.tryFail(new UnreadableMessageException(new StatusMapping(GrpcStatus.INVALID_ARGUMENT,
                        "the call ended without a request message")));
            } else if (count[0] > 1) {
                request.tryFail(new UnreadableMessageException(new StatusMapping(GrpcStatus.INVALID_ARGUMENT,
                        method.methodName() + " takes one request message; this call sent " + count[0])));
            } else {
                try {
                    request.tryComplete(decode(received[0], decoder));
                } catch (UnreadableMessageException e) {
                    request.tryFail(e);
                }
            }
        });
        return request.future();
    }

    /** One message of a stream, inflated within the bound and decoded. */
    <T> T decode(GrpcMessage message, GrpcMessageDecoder<T> decoder) throws UnreadableMessageException {
        GrpcMessage plain = switch (message.encoding()) {
            case "identity" -> message;
            case GZIP -> GrpcMessage.message("identity", message.format(), inflate(message));
            case NONE -> throw new UnreadableMessageException(new StatusMapping(GrpcStatus.INVALID_ARGUMENT,
                    "a request message is flagged compressed, but the call names no grpc-encoding"));
            default -> throw new IllegalStateException("MalformedCallGate let encoding " + message.encoding() + " in");
        };
        try {
            return decoder.decode(plain);
        } catch (CodecException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            // protobuf's messages are its own fixed text; a JSON parser's quote the client's text, which is not echoed
            String why = message.format() != WireFormat.PROTOBUF ? "not JSON of this message type"
                    : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            throw new UnreadableMessageException(new StatusMapping(GrpcStatus.INVALID_ARGUMENT,
                    "malformed request message: " + why));
        }
    }

    private Buffer inflate(GrpcMessage message) throws UnreadableMessageException {
        int limit = (int) Math.min(maxMessageBytes, Integer.MAX_VALUE - 16);
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(message.payload().getBytes()))) {
            byte[] inflated = in.readNBytes(limit + 1);
            if (inflated.length > limit) {
                throw new UnreadableMessageException(new StatusMapping(GrpcStatus.RESOURCE_EXHAUSTED,
                        "gzip message inflates beyond this node's limit of " + maxMessageBytes
                                + " bytes (server.maxMessageBytes)"));
            }
            return Buffer.buffer(inflated);
        } catch (IOException e) {
            throw new UnreadableMessageException(new StatusMapping(GrpcStatus.INVALID_ARGUMENT,
                    "malformed request message: not gzip data (" + e.getClass().getSimpleName() + ")"));
        }
    }

    /** What vertx-grpc found wrong before decoding: a message over the size limit, or broken framing. */
    StatusMapping invalid(InvalidMessageException invalid) {
        if (invalid instanceof MessageSizeOverflowException overflow) {
            return new StatusMapping(GrpcStatus.RESOURCE_EXHAUSTED, "message of " + overflow.messageSize()
                    + " bytes exceeds this node's limit of " + maxMessageBytes + " bytes (server.maxMessageBytes)");
        }
        return new StatusMapping(GrpcStatus.INVALID_ARGUMENT, "malformed request message");
    }
}
