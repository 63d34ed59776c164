package dev.kdedge.calibration.scoring;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers a batch of frames is copied into on its way into ONNX Runtime, kept for the next batch. ONNX Runtime
 * takes a direct buffer as the tensor's memory as it is, but copies a heap array into a direct buffer it allocates
 * for that one run: zeroed, on fresh pages, 4-5 ms for a 12 MB frame on a 2-core Xeon against 1.5 ms for the copy
 * into a buffer used before (docs/RESULTS.md, "a frame's way into ONNX Runtime"). Keeps at most {@value #KEPT}
 * buffers (one for each batch running at once) of at most {@value #KEPT_BYTES} bytes in all: kept memory is outside
 * the heap and stays while the engine is loaded, so larger batches go back to a buffer for their run alone. A buffer
 * too small for a batch is dropped for a larger one. Thread-safe.
 */
final class FrameBuffers {
    static final int KEPT = 4;
    static final long KEPT_BYTES = 64L * 1024 * 1024;

    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
    private long idleBytes;

    /** A buffer of exactly {@code bytes} to fill (position 0, limit {@code bytes}), used by no one else until given back. */
    ByteBuffer take(int bytes) {
        ByteBuffer kept = takeIdle();
        return kept != null && kept.capacity() >= bytes ? kept.clear().limit(bytes) : ByteBuffer.allocateDirect(bytes);
    }

    /** {@code buffer}, from {@link #take}, free for the next batch: no tensor over it may be open any more. */
    synchronized void giveBack(ByteBuffer buffer) {
        if (idle.size() < KEPT && idleBytes + buffer.capacity() <= KEPT_BYTES) {
            idle.addFirst(buffer);
            idleBytes += buffer.capacity();
        }
    }

    private synchronized ByteBuffer takeIdle() {
        ByteBuffer buffer = idle.pollFirst();
        if (buffer != null) {
            idleBytes -= buffer.capacity();
        }
        return buffer;
    }
}
