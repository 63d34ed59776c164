package dev.kdedge.calibration.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.engine.PyTorchEngine;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.network.GraphBlock;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxWeights;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains a method's student on DJL's PyTorch engine against a frozen ONNX teacher, whose features of the training
 * images are kept for the whole training or computed again for each batch ({@link TeacherFeatures}).
 */
public final class StudentTrainer {
    private final DistillationMethod method;
    private final TrainingSettings settings;

    public StudentTrainer(DistillationMethod method, TrainingSettings settings) {
        this.method = method;
        this.settings = settings;
    }

    /**
     * Trains on the given preprocessed images ([1, 3, H, W] each), from random initialization or from the weights of
     * an exported student of the same graph. The student is fed what its method says (the images or the teacher's
     * features) and learns to reproduce the teacher's features.
     *
     * @param initialWeights the student to continue from ({@link OnnxWeights#read}), or null
     * @param keepTeacherFeatures compute the teacher's features of every image once and keep them (the faster way,
     *     where the heap holds them), rather than again for each batch
     */
    public TrainedStudent train(NetworkGraph studentGraph, Map<String, OnnxWeights.Tensor> initialWeights,
            OnnxNetwork teacher, List<FloatTensor> images, boolean keepTeacherFeatures, TrainingProgress progress) {
        if (images.size() < 2) {
            throw new IllegalArgumentException("training needs at least 2 images, got " + images.size());
        }
        TeacherFeatures teacherFeatures;
        if (keepTeacherFeatures) {
            teacherFeatures = TeacherFeatures.kept(teacher, images);
            progress.teacherFeaturesDone(images.size());
        } else {
            teacherFeatures = TeacherFeatures.perBatch(teacher, images);
        }

        Engine pytorch = PyTorchEngine.get();
        pytorch.setRandomSeed((int) settings.seed());
        Model model = Model.newInstance("student", Device.cpu(), "PyTorch");
        GraphBlock block = new GraphBlock(studentGraph);
        model.setBlock(block);
        DefaultTrainingConfig config = new DefaultTrainingConfig(method.loss())
                .optOptimizer(optimizer(settings.recipe()))
                .optInitializer(method.initializer(), Parameter.Type.WEIGHT)
                .optDevices(new Device[] {Device.cpu()});
        List<Double> losses = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        int batchSize = Math.min(settings.recipe().batchSize(), images.size());
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.initialize(method.studentInput().of(images.get(0), teacherFeatures.of(List.of(0))).stream()
                    .map(sample -> new Shape(batchSize, sample.channels(), sample.height(), sample.width()))
                    .toArray(Shape[]::new));
            if (initialWeights != null) {
                block.loadWeights(initialWeights);
            }
            Random random = new Random(settings.seed());
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                order.add(i);
            }
            for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
                long start = System.nanoTime();
                Collections.shuffle(order, random);
                double lossSum = 0;
                int batches = (order.size() + batchSize - 1) / batchSize;
                for (int b = 0; b < batches; b++) {
                    List<Integer> batch = order.subList(b * batchSize, Math.min(order.size(), (b + 1) * batchSize));
                    double loss = step(trainer, batch, images, teacherFeatures);
                    if (!Double.isFinite(loss)) {
                        throw new NonFiniteLossException(loss, epoch, b + 1);
                    }
                    lossSum += loss * batch.size();
                    progress.batchDone(epoch, settings.epochs(), b + 1, batches, loss);
                }
                double meanLoss = lossSum / order.size();
                double elapsed = (System.nanoTime() - start) / 1e9;
                losses.add(meanLoss);
                seconds.add(elapsed);
                progress.epochDone(epoch, settings.epochs(), meanLoss, elapsed);
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new TrainedStudent(model, block, losses, seconds);
    }

    private double step(Trainer trainer, List<Integer> batch, List<FloatTensor> images,
            TeacherFeatures teacherFeatures) {
        try (NDManager manager = trainer.getManager().newSubManager()) {
            NDList labels = new NDList();
            for (FloatTensor tap : teacherFeatures.of(batch)) {
                labels.add(toNd(manager, tap));
            }
            NDArray imageBatch = toNd(manager, FloatTensor.stack(batch.stream().map(images::get).toList()));
            NDList inputs = new NDList(method.studentInput().of(imageBatch, labels));
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(inputs);
                NDArray value = trainer.getLoss().evaluate(labels, predictions);
                collector.backward(value);
                loss = value.getFloat();
            }
            trainer.step();
            return loss;
        }
    }

    private static NDArray toNd(NDManager manager, FloatTensor tensor) {
        return manager.create(tensor.data(), new Shape(tensor.shape()));
    }

    static Optimizer optimizer(TrainingRecipe recipe) {
        Tracker lr = Tracker.fixed(recipe.learningRate());
        return switch (recipe.optimizer()) {
            case SGD -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(recipe.momentum())
                    .optWeightDecays(recipe.weightDecay()).build();
            case ADAM -> Optimizer.adam().optLearningRateTracker(lr).optBeta1(recipe.beta1()).optBeta2(recipe.beta2())
                    .optWeightDecays(recipe.weightDecay()).build();
        };
    }
}
