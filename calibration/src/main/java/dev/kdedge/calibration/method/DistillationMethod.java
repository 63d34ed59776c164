package dev.kdedge.calibration.method;

import ai.djl.training.initializer.Initializer;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;
import java.util.Map;

/**
 * One student-teacher method: the parts every method has, in the same places (see the {@code stfpm} package).
 * Implementations are stateless and thread-safe, registered as services and found through {@link Methods}.
 */
public interface DistillationMethod {
    /** The name written into bundles ("stfpm"). */
    String name();

    /**
     * The student network for a teacher whose feature taps have {@code teacherChannels} channels: its inputs are
     * what {@link #studentInput} says, its outputs pair with the teacher's taps in order.
     */
    NetworkGraph studentGraph(List<Integer> teacherChannels);

    /** Whether the student reads the image or the teacher's features. */
    StudentInput studentInput();

    /** Training loss; labels are the teacher's features, predictions the student's, in tap order. */
    Loss loss();

    TrainingRecipe recipe();

    /** How {@link #anomalyMap} computes, recorded in every bundle's manifest. */
    Map<String, Object> anomalyMapParameters();

    /**
     * The anomaly map of sample {@code index} of a batch, at {@code outputSize} x {@code outputSize}, computed in Java:
     * the reference the served graph's map is held to.
     */
    AnomalyMap anomalyMap(List<FloatTensor> teacher, List<FloatTensor> student, int index, int outputSize);

    /**
     * Writes the anomaly map and image score as ONNX operators after the teacher's and the student's feature taps
     * (same order, tap {@code i} of side {@code tapSides.get(i)}), for an input of {@code inputSize}: what the node
     * serves, equal to {@link #anomalyMap} within the served graph's parity bound.
     */
    ServedMap writeServedMap(OnnxOps ops, List<String> teacherTaps, List<String> studentTaps, List<Integer> tapSides,
            int inputSize);

    /** The architecture of the student for that teacher, recorded in every bundle's manifest ("resnet18-layer3"). */
    String studentArchitecture(List<Integer> teacherChannels);

    /** How the student's weights are initialized before training from scratch. */
    Initializer initializer();

    /** The settings a fine-tune that continues from a served student trains with. */
    TrainingRecipe fineTuneRecipe();
}
