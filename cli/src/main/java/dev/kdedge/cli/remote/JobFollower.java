package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.GetJobRequest;
import dev.kdedge.api.v1.JobEvent;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import java.util.Iterator;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Follows a job's events on the terminal until it ends: a progress bar over the epochs, a line per result. */
final class JobFollower {
    private JobFollower() {}

    /** @return 0 when the job wrote a version, 1 when it failed or was cancelled */
    static int follow(ManagedChannel channel, String jobId) {
        String product = RemoteCall.models(channel).getJob(GetJobRequest.newBuilder().setJobId(jobId).build())
                .getProduct();
        Iterator<JobEvent> events = ModelsGrpc.newBlockingStub(channel)
                .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
        ProgressBar bar = null;
        try {
            while (events.hasNext()) {
                JobEvent e = events.next();
                switch (e.getEventCase()) {
                    case QUEUED -> System.err.println("job " + jobId + " queued, " + e.getQueued().getPosition()
                            + " ahead of it");
                    case STAGE -> {
                        if (bar == null) {
                            System.err.println(e.getStage().getDescription() + " ...");
                        } else {
                            bar.setExtraMessage(" " + e.getStage().getDescription());
                        }
                    }
                    case EPOCH -> {
                        JobEvent.Epoch epoch = e.getEpoch();
                        if (bar == null) {
                            bar = new ProgressBarBuilder().setTaskName("fine-tune").setInitialMax(epoch.getEpochs())
                                    .setStyle(ProgressBarStyle.ASCII).setUnit(" epochs", 1).build();
                        }
                        bar.stepTo(epoch.getEpoch());
                        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.5f, %.0f s left", epoch.getLoss(),
                                epoch.getEtaSeconds()));
                    }
                    case PARITY_CHECKED -> System.err.printf(Locale.ROOT,
                            "%nexport parity: max |ONNX Runtime - PyTorch| = %.2g (relative where an output exceeds "
                                    + "1; bound %.0e)%n",
                            e.getParityChecked().getMaxAbsDifference(), e.getParityChecked().getBound());
                    case THRESHOLD_PROPOSED -> {
                        JobEvent.ThresholdProposed t = e.getThresholdProposed();
                        System.err.printf(Locale.ROOT, "threshold %.6g (%s, %d held-out normals)%s%n",
                                t.getThreshold(), t.getPolicy(), t.getHeldOutImages(), t.hasF1OptimalThreshold()
                                        ? String.format(Locale.ROOT, "; F1-optimal with the uploaded defects: %.6g (F1 %.3f)",
                                                t.getF1OptimalThreshold(), t.getF1()) : "");
                    }
                    case DONE -> {
                        System.out.println("done: version " + e.getDone().getVersion() + " of " + product
                                + " written, not active; promote it with: kdedge-calibrate remote promote --product "
                                + product + " --version " + e.getDone().getVersion());
                        return 0;
                    }
                    case FAILED -> {
                        System.out.println("failed: " + e.getFailed().getReason());
                        return 1;
                    }
                    case CANCELLED -> {
                        System.out.println("cancelled; no version was written");
                        return 1;
                    }
                    default -> { }
                }
            }
            throw new IllegalStateException("the node ended the watch of job " + jobId + " before the job ended");
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
