package dev.kdedge.node.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A native resource shared by its owner and the requests using it. The owner's hold is the first reference; the
 * resource is closed exactly once, when the last reference is released, so an evicted engine outlives every
 * request already holding it and no new request can take it.
 */
abstract class RefCounted implements AutoCloseable {
    private final AtomicInteger references = new AtomicInteger(1);

    /** Takes a reference; false once the resource has been (or is being) closed. */
    final boolean tryRetain() {
        for (int n = references.get(); n > 0; n = references.get()) {
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    final void release() {
        if (references.decrementAndGet() == 0) {
            closeResources();
        }
    }

    /** Drops the owner's hold. */
    @Override
    public final void close() {
        release();
    }

    /** Releases the native resources; called once, by whichever thread drops the last reference. */
    protected abstract void closeResources();
}
