package dev.kdedge.calibration.training;

/** Receives training progress; called on the training thread. */
public interface TrainingProgress {
    TrainingProgress NONE = new TrainingProgress() {};

    /** Teacher features are computed once, before the first epoch. */
    default void teacherFeaturesDone(int images) {}

    default void batchDone(int epoch, int epochs, int batch, int batches, double loss) {}

    default void epochDone(int epoch, int epochs, double meanLoss, double seconds) {}
}
