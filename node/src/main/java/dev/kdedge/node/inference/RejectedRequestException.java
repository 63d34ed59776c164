package dev.kdedge.node.inference;

/** A request the pipeline refused or could not finish, with a message meant for the client. */
public final class RejectedRequestException extends RuntimeException {
    private final Rejection reason;

    public RejectedRequestException(Rejection reason, String message) {
        super(message);
        this.reason = reason;
    }

    public RejectedRequestException(Rejection reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Rejection reason() {
        return reason;
    }
}
