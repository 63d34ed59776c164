package dev.kdedge.calibration.method;

import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;

/**
 * One student-teacher method: the parts every method has, in the same places (see the {@code stfpm} package).
 * Implementations are stateless and thread-safe.
 */
public interface DistillationMethod {
    /** The name written into bundles ("stfpm"). */
    String name();

    /** The student network for a teacher whose feature taps have {@code teacherChannels} channels. */
    NetworkGraph studentGraph(List<Integer> teacherChannels);

    /** Training loss; labels are the teacher's features, predictions the student's, in tap order. */
    Loss loss();

    TrainingRecipe recipe();

    /** How {@link #anomalyMap} computes, recorded in every bundle's manifest. */
    java.util.Map<String, Object> anomalyMapParameters();

    /** The anomaly map of sample {@code index} of a batch, at {@code outputSize} x {@code outputSize}. */
    AnomalyMap anomalyMap(List<FloatTensor> teacher, List<FloatTensor> student, int index, int outputSize);

    static DistillationMethod named(String name) {
        if (dev.kdedge.calibration.method.stfpm.Stfpm.NAME.equals(name)) {
            return new dev.kdedge.calibration.method.stfpm.Stfpm();
        }
        throw new IllegalArgumentException("unknown method '" + name + "' (available: stfpm)");
    }
}
