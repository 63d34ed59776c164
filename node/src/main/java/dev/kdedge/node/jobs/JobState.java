package dev.kdedge.node.jobs;

/** Where a fine-tune job is: waiting, training, or ended one of three ways. */
public enum JobState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean ended() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
