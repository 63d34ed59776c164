package dev.kdedge.calibration.method.mkd;

import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.MapTolerance;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.method.StudentGradient;
import dev.kdedge.calibration.method.StudentInput;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.network.ServedStudent;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * MKD (Salehi et al., CVPR 2021): multiresolution knowledge distillation into a compact cloner. The anomaly score is
 * the distillation loss itself; the map is the gradient of that loss with respect to the image, which the served graph
 * computes with the cloner's backward pass written as forward ONNX operators ({@link MkdServedMap}), so localization
 * needs no autograd at inference.
 */
public final class Mkd implements DistillationMethod {
    public static final String NAME = "mkd";
    /** The official code's optimizer: Adam with PyTorch's defaults at lr 1e-3, batch 64, 601 epochs on MVTec. */
    private static final TrainingRecipe RECIPE = TrainingRecipe.adam(1e-3f, 0.9f, 0.999f, 64, 601);
    /** Guided backpropagation, the official default, and plain gradients, the official code's other choice. */
    static final String GUIDED = "guided";
    static final String VANILLA = "vanilla";
    /** Heatmaps show half of an image's 99th-percentile gradient as the boundary: the map is in [0, 1] per image. */
    private static final double MAP_BOUNDARY = 0.5;
    private static final double PIECEWISE_MAP_MEAN_DIFFERENCE = 1e-3;
    private static final double PIECEWISE_MAP_MAX_DIFFERENCE = 0.05;

    private final boolean guided;

    /** MKD localizing with guided backpropagation, the official default. */
    public Mkd() {
        this(true);
    }

    private Mkd(boolean guided) {
        this.guided = guided;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> localizations() {
        return List.of(GUIDED, VANILLA);
    }

    @Override
    public DistillationMethod localizing(String localization) {
        if (!localizations().contains(localization)) {
            throw new IllegalArgumentException("MKD localizes with " + String.join(" or ", localizations())
                    + " gradients, not '" + localization + "'");
        }
        return new Mkd(localization.equals(GUIDED));
    }

    @Override
    public NetworkGraph studentGraph(List<Integer> teacherChannels) {
        return MkdCloner.of(teacherChannels).graph();
    }

    @Override
    public StudentInput studentInput() {
        return StudentInput.IMAGE;
    }

    @Override
    public String studentArchitecture(List<Integer> teacherChannels) {
        return MkdCloner.of(teacherChannels).architecture();
    }

    /** Xavier-uniform conv weights (PyTorch's {@code xavier_uniform_}: bound sqrt(6 / (fan_in + fan_out))). */
    @Override
    public Initializer initializer() {
        return new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.AVG, 3);
    }

    /** The training loss, over every tap of the cloner. */
    @Override
    public Loss loss() {
        return new MkdLoss(null);
    }

    @Override
    public TrainingRecipe recipe() {
        return RECIPE;
    }

    /** Pixel values in [0, 1] without ImageNet normalization, as the official code feeds MVTec images. */
    @Override
    public Preprocessing preprocessing(Extent size) {
        return Preprocessing.unitRange(size);
    }

    /**
     * The gradient map is piecewise in the cloner's activations (ReLU masks, max-pool winners): where ONNX Runtime's
     * and PyTorch's float32 forward passes decide a near tie differently, the two maps differ by a blurred step. On
     * MT-256 images such steps reached 1.7e-3, with mean differences up to 1e-5; a step is at most the blur's peak
     * weight (1 / (2 pi sigma^2), 0.01) per pixel whose normalized gradient changed, so a few neighbouring pixels stay
     * under 0.05. An error in the backward pass moves the whole map, far more than 1e-3 on average.
     */
    @Override
    public MapTolerance mapTolerance(double parityBound) {
        return new MapTolerance(Math.max(parityBound, PIECEWISE_MAP_MEAN_DIFFERENCE),
                Math.max(parityBound, PIECEWISE_MAP_MAX_DIFFERENCE));
    }

    /** The detection loss over the whole image: no region can be taken out of it by the map. */
    @Override
    public boolean scoresByMapMaximum() {
        return false;
    }

    @Override
    public OptionalDouble mapBoundary() {
        return OptionalDouble.of(MAP_BOUNDARY);
    }

    @Override
    public Map<String, Object> anomalyMapParameters() {
        return Map.of("imageScore", "detection loss: per tap 1 - cosine of flattened maps + " + MkdLoss.LAMBDA
                        + " x MSE, summed", Methods.LOCALIZATION, guided ? GUIDED : VANILLA,
                "gradient", "of the score with respect to the image, through the cloner only",
                "perPixel", "sum of |gradient| over channels", "normalize",
                "(x - min) / (99th percentile - min), clipped to [0, 1], per image",
                "blurSigma", MkdAnomalyMap.BLUR_SIGMA, "blurBorder", "reflect");
    }

    @Override
    public AnomalyMap anomalyMap(List<FloatTensor> teacher, List<FloatTensor> student, int index, Extent outputSize,
            StudentGradient gradient) {
        MkdCloner cloner = MkdCloner.of(teacher.stream().map(FloatTensor::channels).toList());
        return MkdAnomalyMap.compute(teacher, student, index, outputSize, gradient, cloner.detectionTapIndices(),
                guided);
    }

    @Override
    public ServedMap writeServedMap(OnnxOps ops, List<String> teacherTaps, ServedStudent student,
            List<Extent> tapSizes, Extent inputSize) {
        Map<String, Integer> channels = student.graph().channels();
        MkdCloner cloner = MkdCloner.of(student.graph().outputs().stream().map(channels::get).toList());
        if (inputSize.width() % cloner.sideMultiple() != 0 || inputSize.height() % cloner.sideMultiple() != 0) {
            throw new IllegalArgumentException("MKD's cloner has " + cloner.blocks().size() + " 2x2 max-pools: the "
                    + "input's sides must be multiples of " + cloner.sideMultiple() + ", were " + inputSize);
        }
        return MkdServedMap.write(ops, teacherTaps, student, tapSizes, cloner.detectionTapIndices(), inputSize,
                guided);
    }
}
