package dev.kdedge.node.inference;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Tells whoever was refused for capacity that capacity has changed (a queued call left the queue, a large image's
 * decode ended), so that it may offer its request again: no polling. A waiter takes {@link #next} before it tries, so
 * a change between its refusal and its waiting is not missed; it is woken by a change, never by its own refusal.
 */
final class CapacitySignal {
    private final AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>(new CompletableFuture<>());

    /** Completes at the next change after this call. */
    CompletableFuture<Void> next() {
        return next.get();
    }

    void changed() {
        next.getAndSet(new CompletableFuture<>()).complete(null);
    }
}
