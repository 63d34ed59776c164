package dev.kdedge.node.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpcService;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.ScoreRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.WireFormat;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A camera frame's request decoded without copying its pixels, and everything else decoded as before. */
class AliasingDecoderTest {
    private static final GrpcMessageDecoder<ScoreRequest> DECODER = AliasingDecoder.of(ScoreRequest.parser(),
            InspectionGrpcService.Score.decoder());

    @Test
    void aFramesPixelsAreThePayloadsBytesNotACopy() throws Exception {
        byte[] pixels = new byte[1414 * 707];
        Arrays.fill(pixels, (byte) 7);
        ScoreRequest sent = frame(pixels);
        Buffer payload = asReceived(sent.toByteArray());

        ScoreRequest decoded = DECODER.decode(GrpcMessage.message("identity", WireFormat.PROTOBUF, payload));

        assertEquals(sent, decoded);
        payload.setBytes(0, new byte[payload.length()]);
        assertArrayEquals(new byte[pixels.length], decoded.getImage().getRaw().getPixels().toByteArray(),
                "the decoded pixels are the payload's bytes");
        assertEquals("tile-a", decoded.getProduct(), "strings are decoded, not shared");
    }

    @Test
    void jsonIsDecodedByTheMethodsOwnDecoder() throws Exception {
        ScoreRequest sent = frame(new byte[] {1, 2, 3, 4});
        Buffer payload = Buffer.buffer(JsonFormat.printer().print(sent));

        assertEquals(sent, DECODER.decode(GrpcMessage.message("identity", WireFormat.JSON, payload)));
    }

    @Test
    void aTruncatedMessageIsACodecException() {
        byte[] bytes = frame(new byte[4096]).toByteArray();
        Buffer payload = asReceived(Arrays.copyOf(bytes, bytes.length - 100));

        assertThrows(CodecException.class,
                () -> DECODER.decode(GrpcMessage.message("identity", WireFormat.PROTOBUF, payload)));
    }

    private static ScoreRequest frame(byte[] pixels) {
        return ScoreRequest.newBuilder().setProduct("tile-a").setPartId("p-1")
                .setImage(Image.newBuilder().setRaw(RawImage.newBuilder().setFormat(RawImage.PixelFormat.GRAY8)
                        .setWidth(pixels.length).setHeight(1).setPixels(ByteString.copyFrom(pixels))))
                .build();
    }

    /** As vertx-grpc hands a message over: a slice after the 5-byte gRPC prefix of the buffer it assembled. */
    private static Buffer asReceived(byte[] message) {
        Buffer assembled = Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message);
        return assembled.slice(5, assembled.length());
    }
}
