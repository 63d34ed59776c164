package dev.kdedge.node.api;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.WireFormat;

/**
 * Decodes the messages that carry images so that their bytes fields refer to the received payload instead of copies
 * of it. vertx-grpc's own decoder copies the payload into an array and protobuf copies each bytes field out of that:
 * two copies of every camera frame (24 MB and two humongous allocations for a 12 MP raw frame) on the event loop,
 * before the frame reaches a worker. The payload is a slice of the buffer vertx-grpc assembled the message in, which
 * nothing writes again once the message is cut from it, so the bytes can be shared. JSON messages (and a payload
 * without an array behind it) are decoded by vertx-grpc's decoder as before.
 */
final class AliasingDecoder<T> implements GrpcMessageDecoder<T> {
    private final Parser<T> parser;
    private final GrpcMessageDecoder<T> otherwise;

    private AliasingDecoder(Parser<T> parser, GrpcMessageDecoder<T> otherwise) {
        this.parser = parser;
        this.otherwise = otherwise;
    }

    /** @param otherwise the method's own decoder, for what cannot be decoded in place */
    static <T> AliasingDecoder<T> of(Parser<T> parser, GrpcMessageDecoder<T> otherwise) {
        return new AliasingDecoder<>(parser, otherwise);
    }

    @Override
    public T decode(GrpcMessage message) throws CodecException {
        ByteBuf bytes = message.format() == WireFormat.PROTOBUF ? arrayBacked(message.payload()) : null;
        if (bytes == null) {
            return otherwise.decode(message);
        }
        // an input over an array said to be immutable is the one protobuf lets bytes fields alias
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes.array(),
                bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes()).newCodedInput();
        in.enableAliasing(true);
        try {
            return parser.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new CodecException(e);
        }
    }

    @Override
    public boolean accepts(WireFormat format) {
        return otherwise.accepts(format);
    }

    private static ByteBuf arrayBacked(Buffer payload) {
        if (payload instanceof BufferInternal internal) {
            ByteBuf bytes = internal.getByteBuf();
            return bytes.hasArray() ? bytes : null;
        }
        return null;
    }
}
