package dev.kdedge.calibration.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameBuffersTest {
    @Test
    void aBufferGivenBackServesTheNextBatchThatFitsInItAndASmallerOneIsReplaced() {
        FrameBuffers buffers = new FrameBuffers();
        ByteBuffer first = buffers.take(1000);
        assertTrue(first.isDirect(), "ONNX Runtime copies what is not direct");
        assertEquals(0, first.position());
        assertEquals(1000, first.limit());
        first.put(new byte[1000]).flip();
        buffers.giveBack(first);

        ByteBuffer smaller = buffers.take(600);
        assertSame(first, smaller);
        assertEquals(0, smaller.position());
        assertEquals(600, smaller.limit(), "the tensor is as long as the batch, not the buffer");
        buffers.giveBack(smaller);

        ByteBuffer larger = buffers.take(1001);
        assertNotSame(first, larger);
        assertEquals(1001, larger.limit());
        buffers.giveBack(larger);
        assertSame(larger, buffers.take(1001), "the larger buffer is kept, the small one dropped");
    }

    @Test
    void batchesRunningAtOnceGetBuffersOfTheirOwnAndOnlySoManyAreKept() {
        FrameBuffers buffers = new FrameBuffers();
        List<ByteBuffer> taken = new ArrayList<>();
        for (int i = 0; i < FrameBuffers.KEPT + 2; i++) {
            ByteBuffer buffer = buffers.take(64);
            taken.forEach(other -> assertNotSame(other, buffer));
            taken.add(buffer);
        }
        taken.forEach(buffers::giveBack);
        List<ByteBuffer> again = new ArrayList<>();
        for (int i = 0; i < FrameBuffers.KEPT + 2; i++) {
            again.add(buffers.take(64));
        }
        assertEquals(FrameBuffers.KEPT, again.stream().filter(b -> taken.stream().anyMatch(t -> t == b)).count());
    }

    @Test
    void buffersAreKeptOnlyUpToTheirBoundInBytes() {
        FrameBuffers buffers = new FrameBuffers();
        int half = (int) (FrameBuffers.KEPT_BYTES / 2);
        ByteBuffer first = buffers.take(half);
        ByteBuffer second = buffers.take(half);
        ByteBuffer third = buffers.take(1);
        buffers.giveBack(first);
        buffers.giveBack(second);
        buffers.giveBack(third);
        List<ByteBuffer> again = List.of(buffers.take(1), buffers.take(1), buffers.take(1));
        assertTrue(again.stream().anyMatch(b -> b == first) && again.stream().anyMatch(b -> b == second),
                "two halves fill the bound");
        assertTrue(again.stream().noneMatch(b -> b == third), "a third buffer is over it");

        ByteBuffer huge = buffers.take((int) FrameBuffers.KEPT_BYTES + 1);
        buffers.giveBack(huge);
        assertNotSame(huge, buffers.take(1), "a batch larger than the bound has a buffer for its run alone");
    }
}
