package dev.kdedge.calibration.method.stfpm;

import ai.djl.training.initializer.Initializer;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.method.StudentGradient;
import dev.kdedge.calibration.method.StudentInput;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.network.GraphBlock;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.network.ServedStudent;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;
import java.util.Map;

/** STFPM (Wang et al., BMVC 2021): forward feature-pyramid distillation into a student of the same architecture. */
public final class Stfpm implements DistillationMethod {
    public static final String NAME = "stfpm";
    private static final TrainingRecipe RECIPE = TrainingRecipe.sgd(0.4f, 0.9f, 1e-4f, 32, 100);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NetworkGraph studentGraph(List<Integer> teacherChannels) {
        return StfpmStudent.graph(teacherChannels);
    }

    @Override
    public StudentInput studentInput() {
        return StudentInput.IMAGE;
    }

    @Override
    public String studentArchitecture(List<Integer> teacherChannels) {
        return StfpmStudent.ARCHITECTURE;
    }

    /** Kaiming-normal (fan_out) for conv weights, BatchNorm 1 / 0: torchvision's ResNet initialization. */
    @Override
    public Initializer initializer() {
        return GraphBlock.kaimingNormalFanOut();
    }

    @Override
    public Loss loss() {
        return new StfpmLoss();
    }

    @Override
    public TrainingRecipe recipe() {
        return RECIPE;
    }

    @Override
    public Map<String, Object> anomalyMapParameters() {
        return Map.of("perTap", "squared distance of L2-normalized features", "combine", "product",
                "upsample", "bilinear, align_corners=false, to the first tap, then to the input", "blurSigma", 0,
                "imageScore", "max");
    }

    @Override
    public ServedMap writeServedMap(OnnxOps ops, List<String> teacherTaps, ServedStudent student,
            List<Extent> tapSizes, Extent inputSize) {
        return StfpmServedMap.write(ops, teacherTaps, student.taps(), tapSizes, inputSize);
    }

    @Override
    public AnomalyMap anomalyMap(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize,
            StudentGradient gradient) {
        return StfpmAnomalyMap.compute(teacher, student, index, outputSize);
    }
}
