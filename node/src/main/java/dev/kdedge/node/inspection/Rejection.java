package dev.kdedge.node.inspection;

import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.store.StoreFullException;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.calibration.store.UnknownVersionException;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;

/**
 * Why the core did not do what a door asked; each door maps it to its own status (gRPC's, HTTP's) with the failure's
 * message.
 */
public enum Rejection {
    INVALID_ARGUMENT,
    NOT_FOUND,
    FAILED_PRECONDITION,
    RESOURCE_EXHAUSTED,
    DEADLINE_EXCEEDED,
    CANCELLED,
    UNAVAILABLE,
    INTERNAL;

    /** The failure itself, unwrapped from the CompletionException a future wraps it in. */
    public static Throwable cause(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** What {@code failure} (see {@link #cause}) means to the one who asked; INTERNAL for the node's own faults. */
    public static Rejection of(Throwable failure) {
        Throwable cause = cause(failure);
        if (cause instanceof RejectedRequestException rejected) {
            return rejected.reason();
        }
        if (cause instanceof StoreFullException) {
            return RESOURCE_EXHAUSTED;
        }
        if (cause instanceof IllegalArgumentException) {
            return INVALID_ARGUMENT;
        }
        if (cause instanceof UnknownProductException || cause instanceof UnknownVersionException
                || cause instanceof NoSuchElementException) {
            return NOT_FOUND;
        }
        // The store's state does not allow it (no earlier version to roll back to, a missing version, too few
        // images, a job that has ended): the client must change something first.
        if (cause instanceof StoreException || cause instanceof IllegalStateException) {
            return FAILED_PRECONDITION;
        }
        return INTERNAL;
    }
}
