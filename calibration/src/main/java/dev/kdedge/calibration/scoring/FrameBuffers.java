package dev.kdedge.calibration.scoring;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers kept for the next frame or batch of frames on its way into ONNX Runtime. ONNX Runtime takes a direct
 * buffer as the tensor's memory as it is, but copies a heap array into a direct buffer it allocates for that one run:
 * zeroed, on fresh pages, 4-5 ms for a 12 MB frame on a 2-core Xeon against 1.5 ms for the copy into a buffer used
 * before (docs/RESULTS.md, "a frame's way into ONNX Runtime"). Keeps at most {@value #KEPT} buffers (one for each
 * frame or batch in use at once) of at most {@value #KEPT_BYTES} bytes in all: kept memory is outside the heap and
 * stays while its owner (a loaded engine, the node's shared frame reader) does, so beyond that a buffer is for one
 * use alone, freed by the garbage collector. A buffer too small is dropped for a larger one. Thread-safe.
 */
public final class FrameBuffers {
    static final int KEPT = 4;
    static final long KEPT_BYTES = 64L * 1024 * 1024;

    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
    private long idleBytes;

    /** A buffer of exactly {@code bytes} to fill (position 0, limit {@code bytes}), used by no one else until given back. */
    public ByteBuffer take(int bytes) {
        ByteBuffer kept = takeIdle();
        return kept != null && kept.capacity() >= bytes ? kept.clear().limit(bytes) : ByteBuffer.allocateDirect(bytes);
    }

    /** {@code buffer}, from {@link #take}, free for the next use: nothing may read or write it any more. */
    public synchronized void giveBack(ByteBuffer buffer) {
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
