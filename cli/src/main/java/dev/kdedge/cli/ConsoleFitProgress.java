package dev.kdedge.cli;

import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.store.Manifest;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Shows a fit on the terminal in a few lines: a progress bar for image loading and one for the whole training. */
final class ConsoleFitProgress implements FitProgress, AutoCloseable {
    private ProgressBar bar;
    private double trainingSeconds;

    @Override
    public void stage(String description) {
        closeBar();
        System.err.println(description + " ...");
    }

    @Override
    public void imageLoaded(int done, int total) {
        if (done == 1) {
            open("images", total);
        }
        bar.stepTo(done);
        if (done == total) {
            closeBar();
        }
    }

    @Override
    public void teacherFeaturesDone(int images) {
        System.err.println("teacher features computed for " + images + " images");
    }

    @Override
    public void batchDone(int epoch, int epochs, int batch, int batches, double loss) {
        if (epoch == 1 && batch == 1) {
            open("training", epochs * batches);
            trainingSeconds = 0;
        }
        bar.stepTo((long) (epoch - 1) * batches + batch);
        bar.setExtraMessage(String.format(" epoch %d/%d, loss %.4f", epoch, epochs, loss));
    }

    @Override
    public void epochDone(int epoch, int epochs, double meanLoss, double seconds) {
        trainingSeconds += seconds;
        if (epoch == epochs) {
            closeBar();
            System.err.printf("trained %d epochs in %.0f s, last epoch's mean loss %.5f%n", epochs, trainingSeconds,
                    meanLoss);
        }
    }

    @Override
    public void parityChecked(double maxAbsDifference, double bound) {
        System.err.printf("export parity: max |ONNX Runtime - PyTorch| = %.2g (relative where an output exceeds 1; "
                + "bound %.0e)%n", maxAbsDifference, bound);
    }

    @Override
    public void thresholdProposed(Manifest.Threshold threshold) {
        System.err.printf("threshold %.6g (%s, %d %s)%n", threshold.calibration().threshold(), threshold.policy(),
                threshold.images(), threshold.source());
        Manifest.SyntheticCheck synthetic = threshold.synthetic();
        if (synthetic != null) {
            System.err.printf("  catches %.0f%% of %d synthetic defects painted on the held-out normals (rejects %.1f%% "
                    + "of them)%n",
                    100 * synthetic.caught(), synthetic.defects(), 100 * synthetic.normalsRejected());
        }
        Double reviewFrom = threshold.calibration().reviewFrom();
        if (reviewFrom != null && synthetic != null) {
            System.err.printf("  review band from %.6g: %.0f%% of the synthetic defects and %.1f%% of the held-out "
                    + "normals go to a person%n", reviewFrom, 100 * synthetic.toReview(),
                    100 * synthetic.normalsToReview());
        }
    }

    @Override
    public void quantized(QdqScheme scheme, Manifest.Int8 int8) {
        String blocks = int8.floatBlocks().isEmpty() ? "" : ", " + int8.floatBlocks().size() + " blocks in float";
        System.err.printf(int8.published()
                ? "int8 variant for %6$s published: scores within %1$.1f%% of the threshold (%2$d %3$s%4$s)%n"
                : "no int8 variant for %6$s: %5$s%n", 100 * int8.scoreDeviation(), int8.checkImages(),
                int8.checkSource(), blocks, int8.refusal(), scheme.label());
    }

    @Override
    public void candidateStarted(String method, int index, int count, int epochs) {
        closeBar();
        System.err.printf("method auto: short fit %d of %d, %s, %d epoch%s%n", index, count, method, epochs,
                epochs == 1 ? "" : "s");
    }

    @Override
    public void methodChosen(Manifest.MethodChoice choice) {
        System.err.println("methods ranked on the synthetic defects (image AUROC, pixel AUROC, short fit):");
        choice.candidates().forEach(c -> System.err.printf("  %-6s %.3f  %.3f  %4.0f s%n", c.method(),
                c.imageAuroc(), c.pixelAuroc(), c.seconds()));
        System.err.printf("fitting %s fully%n", choice.chosen());
    }

    private void open(String task, int max) {
        closeBar();
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).build();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        closeBar();
    }
}
