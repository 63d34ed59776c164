package dev.kdedge.calibration.method;

import ai.djl.training.initializer.Initializer;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.network.ServedStudent;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

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
     * The anomaly map of sample {@code index} of a batch, at {@code outputSize}, computed in Java:
     * the reference the served graph's map is held to.
     *
     * @param gradient the student's input gradient for that sample, for methods that localize by it
     */
    AnomalyMap anomalyMap(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize,
            StudentGradient gradient);

    /**
     * Writes the anomaly map and image score as ONNX operators after the teacher's and the student's feature taps
     * (same order, tap {@code i} of size {@code tapSizes.get(i)}), for an input of {@code inputSize}: what the node
     * serves, equal to {@link #anomalyMap} within the served graph's parity bound.
     *
     * @param student the served student: its taps, and its inside for methods that write its backward pass
     */
    ServedMap writeServedMap(OnnxOps ops, List<String> teacherTaps, ServedStudent student, List<Extent> tapSizes,
            Extent inputSize);

    /**
     * How far a fit lets the served map be from the reference map, for a fit whose scores are held to {@code
     * parityBound}. A map that is a smooth function of the features is held to the same bound.
     */
    default MapTolerance mapTolerance(double parityBound) {
        return MapTolerance.of(parityBound);
    }

    /** How an image becomes this method's input at {@code size}, as its official code prepares it. */
    default Preprocessing preprocessing(Extent size) {
        return Preprocessing.imagenet(size);
    }

    /**
     * Whether the image score is the anomaly map's maximum, so that a region taken out of the map is out of the score
     * too (a product's don't-care mask needs it).
     */
    default boolean scoresByMapMaximum() {
        return true;
    }

    /** The ways this method can localize (its map's variants), its default first; empty when it has one way. */
    default List<String> localizations() {
        return List.of();
    }

    /**
     * This method localizing the given way, one of {@link #localizations}; recorded in {@link #anomalyMapParameters}
     * under {@value Methods#LOCALIZATION} so a re-fit of its versions keeps it.
     */
    default DistillationMethod localizing(String localization) {
        throw new IllegalArgumentException("method " + name() + " has one way to localize; '" + localization
                + "' is not a choice");
    }

    /**
     * The map value a heatmap shows as the decision boundary, for a method whose maps have a scale of their own; empty
     * when the map shares the image score's scale (the score is its maximum) and the threshold is the boundary.
     */
    default OptionalDouble mapBoundary() {
        return OptionalDouble.empty();
    }

    /** The architecture of the student for that teacher, recorded in every bundle's manifest ("resnet18-layer3"). */
    String studentArchitecture(List<Integer> teacherChannels);

    /** How the student's weights are initialized before training from scratch. */
    Initializer initializer();

    /**
     * The settings a fine-tune that continues from a served student trains with: the method's recipe at a tenth of
     * its rate. The student already matches the teacher on the product's images, and the official rate (STFPM's
     * 0.4 especially) would move every weight by about the rate and throw that away; a tenth adapts within a few
     * epochs and keeps it.
     */
    default TrainingRecipe fineTuneRecipe() {
        return recipe().withLearningRate(recipe().learningRate() / 10);
    }
}
