package dev.kdedge.node.jobs;

import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.StartFineTuneRequest;
import java.time.Instant;

/**
 * A job in the contract's messages ({@code kdedge.v1.Job}, {@code JobEvent}) and back: what GetJob, ListJobs and
 * WatchJob answer, and what a job's record on disk holds as protobuf JSON ({@link JobStore}), so that a record read
 * back after a restart is what the client was told. One mapping for both.
 */
public final class JobMessages {
    private JobMessages() {}

    /** A StartFineTune request's settings, validated: 0 means the default. */
    public static FineTuneSettings settings(StartFineTuneRequest request) {
        return FineTuneSettings.requested(request.getProduct(), request.getFromScratch(),
                Integer.toUnsignedLong(request.getEpochs()), request.getHoldoutFraction(), request.getLearningRate());
    }

    public static StartFineTuneRequest request(FineTuneSettings settings) {
        return StartFineTuneRequest.newBuilder().setProduct(settings.product()).setFromScratch(settings.fromScratch())
                .setEpochs(settings.epochs()).setHoldoutFraction(settings.holdoutFraction())
                .setLearningRate(settings.learningRate()).build();
    }

    public static Job job(FineTuneJob job) {
        Job.Builder message = Job.newBuilder().setJobId(job.id()).setProduct(job.product())
                .setState(dev.kdedge.api.v1.JobState.valueOf(job.state().name())).setRequest(request(job.settings()))
                .setCreatedAt(job.createdAt().toString()).setVersion(job.version()).setReason(job.reason());
        if (job.startedAt() != null) {
            message.setStartedAt(job.startedAt().toString());
        }
        if (job.finishedAt() != null) {
            message.setFinishedAt(job.finishedAt().toString());
        }
        if (job.lastEvent() != null) {
            message.setLastEvent(event(job.lastEvent()));
        }
        return message.build();
    }

    static FineTuneJob job(Job message) {
        return new FineTuneJob(message.getJobId(), message.getProduct(), JobState.valueOf(message.getState().name()),
                new FineTuneSettings(message.getRequest().getProduct(), message.getRequest().getFromScratch(),
                        message.getRequest().getEpochs(), message.getRequest().getHoldoutFraction(),
                        message.getRequest().getLearningRate()),
                Instant.parse(message.getCreatedAt()), instantOrNull(message.getStartedAt()),
                instantOrNull(message.getFinishedAt()), message.getVersion(), message.getReason(),
                message.hasLastEvent() ? event(message.getLastEvent()) : null);
    }

    public static dev.kdedge.api.v1.JobEvent event(JobEvent event) {
        dev.kdedge.api.v1.JobEvent.Builder message = dev.kdedge.api.v1.JobEvent.newBuilder().setJobId(event.jobId())
                .setAt(event.at().toString());
        JobEvent.What what = event.what();
        if (what instanceof JobEvent.Queued queued) {
            message.setQueued(dev.kdedge.api.v1.JobEvent.Queued.newBuilder().setPosition(queued.position()));
        } else if (what instanceof JobEvent.Stage stage) {
            message.setStage(dev.kdedge.api.v1.JobEvent.Stage.newBuilder().setDescription(stage.description()));
        } else if (what instanceof JobEvent.Epoch epoch) {
            message.setEpoch(dev.kdedge.api.v1.JobEvent.Epoch.newBuilder().setEpoch(epoch.epoch())
                    .setEpochs(epoch.epochs()).setLoss(epoch.loss()).setSeconds(epoch.seconds())
                    .setEtaSeconds(epoch.etaSeconds()));
        } else if (what instanceof JobEvent.ParityChecked parity) {
            message.setParityChecked(dev.kdedge.api.v1.JobEvent.ParityChecked.newBuilder()
                    .setMaxAbsDifference(parity.maxAbsDifference()).setBound(parity.bound()));
        } else if (what instanceof JobEvent.ThresholdProposed proposed) {
            dev.kdedge.api.v1.JobEvent.ThresholdProposed.Builder threshold =
                    dev.kdedge.api.v1.JobEvent.ThresholdProposed.newBuilder().setThreshold(proposed.threshold())
                            .setPolicy(proposed.policy()).setHeldOutImages(proposed.heldOutImages());
            if (proposed.f1OptimalThreshold() != null) {
                threshold.setF1OptimalThreshold(proposed.f1OptimalThreshold()).setF1(proposed.f1());
            }
            message.setThresholdProposed(threshold);
        } else if (what instanceof JobEvent.Done done) {
            message.setDone(dev.kdedge.api.v1.JobEvent.Done.newBuilder().setVersion(done.version()));
        } else if (what instanceof JobEvent.Failed failed) {
            message.setFailed(dev.kdedge.api.v1.JobEvent.Failed.newBuilder().setReason(failed.reason()));
        } else {
            message.setCancelled(dev.kdedge.api.v1.JobEvent.Cancelled.getDefaultInstance());
        }
        return message.build();
    }

    static JobEvent event(dev.kdedge.api.v1.JobEvent message) {
        JobEvent.What what = switch (message.getEventCase()) {
            case QUEUED -> new JobEvent.Queued(message.getQueued().getPosition());
            case STAGE -> new JobEvent.Stage(message.getStage().getDescription());
            case EPOCH -> {
                dev.kdedge.api.v1.JobEvent.Epoch epoch = message.getEpoch();
                yield new JobEvent.Epoch(epoch.getEpoch(), epoch.getEpochs(), epoch.getLoss(), epoch.getSeconds(),
                        epoch.getEtaSeconds());
            }
            case PARITY_CHECKED -> new JobEvent.ParityChecked(message.getParityChecked().getMaxAbsDifference(),
                    message.getParityChecked().getBound());
            case THRESHOLD_PROPOSED -> {
                dev.kdedge.api.v1.JobEvent.ThresholdProposed proposed = message.getThresholdProposed();
                yield new JobEvent.ThresholdProposed(proposed.getThreshold(), proposed.getPolicy(),
                        proposed.getHeldOutImages(),
                        proposed.hasF1OptimalThreshold() ? proposed.getF1OptimalThreshold() : null,
                        proposed.hasF1() ? proposed.getF1() : null);
            }
            case DONE -> new JobEvent.Done(message.getDone().getVersion());
            case FAILED -> new JobEvent.Failed(message.getFailed().getReason());
            case CANCELLED -> new JobEvent.Cancelled();
            case EVENT_NOT_SET -> throw new IllegalArgumentException("a job event of job " + message.getJobId()
                    + " at " + message.getAt() + " says nothing");
        };
        return new JobEvent(message.getJobId(), Instant.parse(message.getAt()), what);
    }

    private static Instant instantOrNull(String rfc3339) {
        return rfc3339.isEmpty() ? null : Instant.parse(rfc3339);
    }
}
