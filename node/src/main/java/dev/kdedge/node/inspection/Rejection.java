package dev.kdedge.node.inspection;

/** Why a request was not scored; the API layer maps each to its gRPC status. */
public enum Rejection {
    INVALID_ARGUMENT,
    NOT_FOUND,
    FAILED_PRECONDITION,
    RESOURCE_EXHAUSTED,
    DEADLINE_EXCEEDED,
    CANCELLED,
    UNAVAILABLE,
    INTERNAL
}
