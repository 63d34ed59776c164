package dev.kdedge.calibration.cli;

import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.network.QdqScheme;
import dev.kdedge.calibration.store.Manifest;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Shows a fit on the terminal: one progress bar for image loading, one per training epoch. */
final class ConsoleFitProgress implements FitProgress, AutoCloseable {
    private ProgressBar bar;

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
    public void batchDone(int epoch, int batch, int batches, double loss) {
        if (batch == 1) {
            open("epoch " + epoch, batches);
        }
        bar.stepTo(batch);
        bar.setExtraMessage(String.format(" loss %.4f", loss));
    }

    @Override
    public void epochDone(int epoch, int epochs, double meanLoss, double seconds) {
        closeBar();
        System.err.printf("epoch %d/%d  loss %.5f  %.1f s%n", epoch, epochs, meanLoss, seconds);
    }

    @Override
    public void parityChecked(double maxAbsDifference, double bound) {
        System.err.printf("export parity: max |ONNX Runtime - PyTorch| = %.2g (bound %.0e)%n", maxAbsDifference, bound);
    }

    @Override
    public void thresholdProposed(Manifest.Threshold threshold) {
        System.err.printf("threshold %.6g (%s, %d %s)%n", threshold.calibration().threshold(), threshold.policy(),
                threshold.images(), threshold.source());
    }

    @Override
    public void quantized(QdqScheme scheme, Manifest.Int8 int8) {
        String blocks = int8.floatBlocks().isEmpty() ? "" : ", " + int8.floatBlocks().size() + " blocks in float";
        System.err.printf(int8.published()
                ? "int8 variant for %6$s published: scores within %1$.1f%% of the threshold (%2$d %3$s%4$s)%n"
                : "no int8 variant for %6$s: %5$s%n", 100 * int8.scoreDeviation(), int8.checkImages(),
                int8.checkSource(), blocks, int8.refusal(), scheme.label());
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
