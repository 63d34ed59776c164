package dev.kdedge.node.api;

/** A request message the node cannot read, with the status and message its client is answered. */
final class UnreadableMessageException extends Exception {
    private final transient StatusMapping status;

    UnreadableMessageException(StatusMapping status) {
        super(status.message(), null, false, false);
        this.status = status;
    }

    StatusMapping status() {
        return status;
    }
}
