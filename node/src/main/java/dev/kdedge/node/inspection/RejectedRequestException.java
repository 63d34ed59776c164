package dev.kdedge.node.inspection;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** A request the pipeline refused or could not finish, with a message meant for the client. */
public final class RejectedRequestException extends RuntimeException {
    private final Rejection reason;
    private final CompletionStage<Void> room;

    public RejectedRequestException(Rejection reason, String message) {
        this(reason, message, (Throwable) null);
    }

    public RejectedRequestException(Rejection reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.room = null;
    }

    /** A refusal for capacity: {@code room} completes when capacity has changed; the request may be offered again. */
    public RejectedRequestException(String message, CompletionStage<Void> room) {
        super(message);
        this.reason = Rejection.RESOURCE_EXHAUSTED;
        this.room = room;
    }

    public Rejection reason() {
        return reason;
    }

    /**
     * For a refusal for capacity (the queue, this client's share of it, the large-image lane): completes when that
     * capacity has changed, when a caller that can wait (a camera stream) may offer the request again.
     */
    public Optional<CompletionStage<Void>> whenCapacityChanges() {
        return Optional.ofNullable(room);
    }
}
