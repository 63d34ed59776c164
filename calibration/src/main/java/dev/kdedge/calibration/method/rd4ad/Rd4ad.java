package dev.kdedge.calibration.method.rd4ad;

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

/**
 * RD4AD (Deng and Li, CVPR 2022): reverse distillation. A trainable one-class bottleneck (OCBE) fuses the frozen
 * teacher's three taps into one compact embedding, and a decoder mirroring the teacher reconstructs the taps from it.
 */
public final class Rd4ad implements DistillationMethod {
    public static final String NAME = "rd4ad";
    private static final TrainingRecipe RECIPE = TrainingRecipe.adam(0.005f, 0.5f, 0.999f, 16, 200);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NetworkGraph studentGraph(List<Integer> teacherChannels) {
        return Rd4adStudent.graph(teacherChannels);
    }

    @Override
    public StudentInput studentInput() {
        return StudentInput.TEACHER_FEATURES;
    }

    @Override
    public String studentArchitecture(List<Integer> teacherChannels) {
        return Rd4adStudent.Encoder.of(teacherChannels).architecture();
    }

    /**
     * Kaiming-normal (fan_out) for conv weights, BatchNorm 1 / 0, as the official code initializes its convs. It
     * leaves PyTorch's default on the transposed convs; here they get the same Kaiming draw (each is followed by
     * BatchNorm, which undoes the weights' scale in the forward pass).
     */
    @Override
    public Initializer initializer() {
        return GraphBlock.kaimingNormalFanOut();
    }

    @Override
    public Loss loss() {
        return new Rd4adLoss();
    }

    @Override
    public TrainingRecipe recipe() {
        return RECIPE;
    }

    @Override
    public Map<String, Object> anomalyMapParameters() {
        return Map.of("perTap", "1 - cosine similarity along channels", "combine", "sum",
                "upsample", "bilinear, align_corners=true, to the input", "blurSigma", Rd4adAnomalyMap.BLUR_SIGMA,
                "blurBorder", "reflect", "imageScore", "max");
    }

    @Override
    public AnomalyMap anomalyMap(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize,
            StudentGradient gradient) {
        return Rd4adAnomalyMap.compute(teacher, student, index, outputSize);
    }

    @Override
    public ServedMap writeServedMap(OnnxOps ops, List<String> teacherTaps, ServedStudent student,
            List<Extent> tapSizes, Extent inputSize) {
        return Rd4adServedMap.write(ops, teacherTaps, student.taps(), tapSizes, inputSize);
    }
}
