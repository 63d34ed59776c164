package dev.kdedge.node.jobs;

import java.time.Instant;

/**
 * A fine-tune job as it stands. Each change makes a new value.
 *
 * @param startedAt null until it runs
 * @param finishedAt null until it ends
 * @param version the version written, once SUCCEEDED; 0 before
 * @param reason why it FAILED or was CANCELLED; empty otherwise
 * @param lastEvent null only before its first event is recorded
 */
public record FineTuneJob(String id, String product, JobState state, FineTuneSettings settings, Instant createdAt,
        Instant startedAt, Instant finishedAt, int version, String reason, JobEvent lastEvent) {

    static FineTuneJob queued(String id, FineTuneSettings settings, Instant at) {
        return new FineTuneJob(id, settings.product(), JobState.QUEUED, settings, at, null, null, 0, "", null);
    }

    FineTuneJob running(Instant at) {
        return new FineTuneJob(id, product, JobState.RUNNING, settings, createdAt, at, null, 0, "", lastEvent);
    }

    FineTuneJob succeeded(int writtenVersion, Instant at) {
        return new FineTuneJob(id, product, JobState.SUCCEEDED, settings, createdAt, startedAt, at, writtenVersion, "",
                lastEvent);
    }

    /** FAILED or CANCELLED, with the reason. */
    FineTuneJob stopped(JobState outcome, String why, Instant at) {
        return new FineTuneJob(id, product, outcome, settings, createdAt, startedAt, at, 0, why, lastEvent);
    }

    FineTuneJob withLastEvent(JobEvent event) {
        return new FineTuneJob(id, product, state, settings, createdAt, startedAt, finishedAt, version, reason, event);
    }
}
