package dev.kdedge.calibration.training;

import ai.djl.Model;
import dev.kdedge.calibration.network.GraphBlock;
import java.util.List;

/** A trained student still held by its PyTorch model; close it to free the native weights. */
public record TrainedStudent(Model model, GraphBlock block, List<Double> epochLosses, List<Double> epochSeconds)
        implements AutoCloseable {
    @Override
    public void close() {
        model.close();
    }
}
