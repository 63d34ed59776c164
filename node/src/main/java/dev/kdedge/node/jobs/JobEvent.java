package dev.kdedge.node.jobs;

import java.time.Instant;

/** One step of a fine-tune job, as its watchers see it and its record keeps it. */
public record JobEvent(String jobId, Instant at, What what) {

    /** What happened. */
    public sealed interface What permits Queued, Stage, Epoch, ParityChecked, ThresholdProposed, Done, Failed,
            Cancelled {}

    /** @param position jobs ahead of this one */
    public record Queued(int position) implements What {}

    /** A step without numbers: "loading images", "teacher features", "exporting", "validating". */
    public record Stage(String description) implements What {}

    /** @param etaSeconds estimated seconds until training ends */
    public record Epoch(int epoch, int epochs, double loss, double seconds, double etaSeconds) implements What {}

    public record ParityChecked(double maxAbsDifference, double bound) implements What {}

    /** @param f1OptimalThreshold and {@code f1} null when no defects were uploaded to find them */
    public record ThresholdProposed(double threshold, String policy, int heldOutImages, Double f1OptimalThreshold,
            Double f1) implements What {}

    public record Done(int version) implements What {}

    public record Failed(String reason) implements What {}

    public record Cancelled() implements What {}

    /** The job's last event: done, failed or cancelled. */
    public boolean endsTheJob() {
        return what instanceof Done || what instanceof Failed || what instanceof Cancelled;
    }
}
