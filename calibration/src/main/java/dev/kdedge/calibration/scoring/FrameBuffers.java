package dev.kdedge.calibration.scoring;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers a batch of frames is copied into on its way into ONNX Runtime, kept for the next batch. ONNX Runtime
 * takes a direct buffer as the tensor's memory as it is, but copies a heap array into a direct buffer it allocates
 * for that one run: zeroed, on fresh pages, 4-5 ms for a 12 MB frame on a 2-core Xeon against 1.5 ms for the copy
 * into a buffer used before (docs/RESULTS.md, "a frame's way into ONNX Runtime"). Keeps at most {@value #KEPT}
 * buffers, one a batch running at once; a buffer too small for a batch is dropped for a larger one. Thread-safe.
 */
final class FrameBuffers {
    static final int KEPT = 4;

    private final ConcurrentLinkedDeque<ByteBuffer> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    /** A buffer of exactly {@code bytes} to fill (position 0, limit {@code bytes}), used by no one else until given back. */
    ByteBuffer take(int bytes) {
        ByteBuffer buffer = idle.pollFirst();
        if (buffer != null) {
            idleCount.decrementAndGet();
            if (buffer.capacity() >= bytes) {
                return buffer.clear().limit(bytes);
            }
        }
        return ByteBuffer.allocateDirect(bytes);
    }

    /** {@code buffer}, from {@link #take}, free for the next batch: no tensor over it may be open any more. */
    void giveBack(ByteBuffer buffer) {
        if (idleCount.incrementAndGet() <= KEPT) {
            idle.offerFirst(buffer);
        } else {
            idleCount.decrementAndGet();
        }
    }
}
