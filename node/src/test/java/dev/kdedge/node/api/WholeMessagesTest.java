package dev.kdedge.node.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A request body cut into whole gRPC messages however its HTTP/2 frames fell, its bytes unchanged. */
class WholeMessagesTest {
    private static final int MAX_MESSAGE_BYTES = 1 << 20;

    @Test
    void everyMessageIsHandedOnWholeWhereverTheFramesSplitIt() {
        List<byte[]> sent = List.of(message(70_000, 1), message(0, 2), message(3, 3), message(400_000, 4),
                message(1, 5));
        Random random = new Random(31);
        for (int round = 0; round < 200; round++) {
            // frames of 1 byte to beyond a whole message: prefixes split, several messages in one frame
            int largest = round < 20 ? 1 + round : 1 + random.nextInt(round % 2 == 0 ? 64 : 600_000);
            WholeMessages cutter = new WholeMessages(MAX_MESSAGE_BYTES);
            List<byte[]> received = new ArrayList<>();
            for (Buffer frame : frames(concatenation(sent), random, largest)) {
                cutter.cut(frame, message -> received.add(message.getBytes()));
            }
            cutter.end(message -> received.add(message.getBytes()));
            assertEquals(sent.size(), received.size(), "frames of at most " + largest + " bytes");
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), received.get(i), "message " + i + ", frames of at most " + largest);
            }
        }
    }

    @Test
    void aMessageOverTheLimitIsHandedOnAsItComesForVertxGrpcToRefuse() {
        byte[] small = message(10, 1);
        byte[] tooLarge = message(MAX_MESSAGE_BYTES + 1, 2);
        byte[] body = concatenation(List.of(small, tooLarge, message(10, 3)));
        WholeMessages cutter = new WholeMessages(MAX_MESSAGE_BYTES);
        Buffer handedOn = Buffer.buffer();
        int received = 0;
        for (Buffer frame : frames(body, new Random(7), 16_384)) {
            cutter.cut(frame, handedOn::appendBuffer);
            received += frame.length();
            if (received > small.length + 2) {
                // from the large message's prefix on nothing is held: vertx-grpc sees each byte as it comes
                assertEquals(received, handedOn.length());
            }
        }
        assertArrayEquals(body, handedOn.getBytes());
    }

    @Test
    void aBodyThatEndsInsideAMessageIsHandedOnAsFarAsItCame() {
        byte[] whole = message(50_000, 9);
        byte[] cut = Arrays.copyOf(whole, 30_000);
        WholeMessages cutter = new WholeMessages(MAX_MESSAGE_BYTES);
        List<byte[]> received = new ArrayList<>();
        for (Buffer frame : frames(cut, new Random(3), 4_096)) {
            cutter.cut(frame, message -> received.add(message.getBytes()));
        }
        assertEquals(0, received.size(), "nothing handed on before the message is whole or the body ends");
        cutter.end(message -> received.add(message.getBytes()));
        assertEquals(1, received.size());
        assertArrayEquals(cut, received.get(0));
    }

    /** A message as gRPC frames it: uncompressed, its length in four bytes, then its bytes. */
    private static byte[] message(int length, int fill) {
        Buffer message = Buffer.buffer().appendByte((byte) 0).appendUnsignedInt(length);
        for (int i = 0; i < length; i++) {
            message.appendByte((byte) (fill * 31 + i));
        }
        return message.getBytes();
    }

    private static byte[] concatenation(List<byte[]> messages) {
        Buffer body = Buffer.buffer();
        messages.forEach(body::appendBytes);
        return body.getBytes();
    }

    private static List<Buffer> frames(byte[] body, Random random, int largest) {
        List<Buffer> frames = new ArrayList<>();
        for (int at = 0; at < body.length; ) {
            int length = Math.min(body.length - at, 1 + random.nextInt(largest));
            frames.add(Buffer.buffer(Arrays.copyOfRange(body, at, at + length)));
            at += length;
        }
        return frames;
    }
}
