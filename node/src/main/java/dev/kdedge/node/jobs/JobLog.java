package dev.kdedge.node.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One job's state and every event it has had, persisted by a {@link JobStore} on each change, and the watchers that
 * follow it. Events reach watchers in order, once each.
 */
final class JobLog {
    private final JobStore store;
    private final List<JobEvent> events;
    private final List<Consumer<JobEvent>> watchers = new ArrayList<>();
    private FineTuneJob job;
    private volatile String cancelReason;

    JobLog(JobStore store, FineTuneJob job, List<JobEvent> events) {
        this.store = store;
        this.job = job;
        this.events = new ArrayList<>(events);
    }

    synchronized FineTuneJob job() {
        return job;
    }

    /** Why the job is to stop at its next step, or null while it may go on. */
    String cancelReason() {
        return cancelReason;
    }

    void requestCancel(String reason) {
        cancelReason = reason;
    }

    /** Records an event and the job change it brings, durably, then tells the watchers. */
    synchronized void record(JobEvent.What what, UnaryOperator<FineTuneJob> change) {
        JobEvent stamped = new JobEvent(job.id(), Instant.now(), what);
        FineTuneJob updated = change.apply(job).withLastEvent(stamped);
        List<JobEvent> next = new ArrayList<>(events);
        next.add(stamped);
        try {
            store.save(updated, next);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record job " + job.id() + ": " + e.getMessage(), e);
        }
        job = updated;
        events.add(stamped);
        for (Consumer<JobEvent> watcher : List.copyOf(watchers)) {
            watcher.accept(stamped);
        }
        if (job.state().ended()) {
            watchers.clear();
        }
    }

    /**
     * The events so far, and from now on each new one to {@code watcher} until the job ends.
     *
     * @return the past events; the watcher is not registered when the last of them ended the job
     */
    synchronized List<JobEvent> watch(Consumer<JobEvent> watcher) {
        if (!job.state().ended()) {
            watchers.add(watcher);
        }
        return List.copyOf(events);
    }

    synchronized void unwatch(Consumer<JobEvent> watcher) {
        watchers.remove(watcher);
    }
}
