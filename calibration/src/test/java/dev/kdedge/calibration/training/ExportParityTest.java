package dev.kdedge.calibration.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.network.OnnxWeights;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exporter against the real engines: a student trained on PyTorch, written to ONNX, run by ONNX Runtime. */
class ExportParityTest {
    @TempDir
    Path dir;

    @Test
    void aDivergingStudentStopsAtTheFirstNonFiniteLoss() throws Exception {
        Path teacherFile = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacherFile, 16, 3);
        List<FloatTensor> images = gaussianImages(8);
        DistillationMethod stfpm = new Stfpm();
        try (OnnxNetwork teacher = OnnxNetwork.load(teacherFile, InferenceOptions.cpu(1))) {
            List<Integer> channels = teacher.run(images.get(0)).stream().map(FloatTensor::channels).toList();
            TrainingSettings settings = new TrainingSettings(stfpm.recipe().withBatchSize(4).withLearningRate(1e30f),
                    50, 1);
            List<Integer> epochsDone = new ArrayList<>();
            var stopped = assertThrows(NonFiniteLossException.class, () -> new StudentTrainer(stfpm, settings)
                    .train(stfpm.studentGraph(channels), null, teacher, images, true, new TrainingProgress() {
                        @Override
                        public void epochDone(int epoch, int epochs, double meanLoss, double seconds) {
                            epochsDone.add(epoch);
                        }
                    }));
            assertTrue(stopped.getMessage().startsWith("training stopped: the loss was"), stopped.getMessage());
            assertTrue(epochsDone.size() < 50, "it should stop at once, not after " + epochsDone.size() + " epochs");
        }
    }

    /**
     * Where the heap cannot keep the teacher's features they are computed again for each batch, and train the same
     * student: the same losses, epoch by epoch (to float rounding: the teacher sees other batches).
     */
    @Test
    void featuresComputedForEachBatchTrainTheSameStudentAsKeptOnes() throws Exception {
        Path teacherFile = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacherFile, 16, 3);
        List<FloatTensor> images = gaussianImages(10);
        DistillationMethod stfpm = new Stfpm();
        try (OnnxNetwork teacher = OnnxNetwork.load(teacherFile, InferenceOptions.cpu(1))) {
            List<Integer> channels = teacher.run(images.get(0)).stream().map(FloatTensor::channels).toList();
            TrainingSettings settings = new TrainingSettings(stfpm.recipe().withBatchSize(4), 3, 7);
            List<Integer> featuresDone = new ArrayList<>();
            TrainingProgress counted = new TrainingProgress() {
                @Override
                public void teacherFeaturesDone(int count) {
                    featuresDone.add(count);
                }
            };
            try (TrainedStudent kept = new StudentTrainer(stfpm, settings).train(stfpm.studentGraph(channels), null,
                    teacher, images, true, counted);
                    TrainedStudent perBatch = new StudentTrainer(stfpm, settings).train(stfpm.studentGraph(channels),
                            null, teacher, images, false, counted)) {
                assertEquals(List.of(10), featuresDone, "computed up front only where they are kept");
                assertEquals(3, perBatch.epochLosses().size());
                for (int epoch = 0; epoch < 3; epoch++) {
                    double expected = kept.epochLosses().get(epoch);
                    assertEquals(expected, perBatch.epochLosses().get(epoch), 1e-5 * expected, "epoch " + (epoch + 1));
                }
                assertTrue(kept.epochLosses().get(2) < kept.epochLosses().get(0), "it learned: " + kept.epochLosses());
            }
        }
    }

    private static List<FloatTensor> gaussianImages(int count) {
        Random random = new Random(5);
        List<FloatTensor> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] data = new float[3 * 64 * 64];
            for (int k = 0; k < data.length; k++) {
                data[k] = (float) random.nextGaussian();
            }
            images.add(new FloatTensor(1, 3, 64, 64, data));
        }
        return images;
    }

    /**
     * A copy of {@code onnx} whose last BatchNorm bias (of the block that ends in the last output) is shifted by
     * {@code delta}: every positive output of that block moves by exactly {@code delta}.
     */
    private static Path shiftLastBatchNormBias(Path onnx, float delta, Path target) throws Exception {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(onnx));
        GraphProto.Builder graph = model.getGraph().toBuilder();
        int last = -1;
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            if (graph.getInitializer(i).getName().endsWith("bn2.bias")) {
                last = i;
            }
        }
        TensorProto bias = graph.getInitializer(last);
        FloatBuffer values = bias.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        ByteBuffer shifted = ByteBuffer.allocate(bias.getRawData().size()).order(ByteOrder.LITTLE_ENDIAN);
        while (values.hasRemaining()) {
            shifted.putFloat(values.get() + delta);
        }
        graph.setInitializer(last, bias.toBuilder().setRawData(ByteString.copyFrom(shifted.array())));
        Files.write(target, model.toBuilder().setGraph(graph).build().toByteArray());
        return target;
    }

    /**
     * A teacher of width 16: with width 8, PyTorch's oneDNN AVX-512 kernels on two threads produced NaN within a few
     * steps on an AMD EPYC (Zen 5), and training now stops there ({@link NonFiniteLossException}).
     */
    @Test
    void trainedStudentLearnsAndExportsWithinTheParityBound() throws Exception {
        Path teacherFile = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacherFile, 16, 3);
        List<FloatTensor> images = gaussianImages(8);
        DistillationMethod stfpm = new Stfpm();
        try (OnnxNetwork teacher = OnnxNetwork.load(teacherFile, InferenceOptions.cpu(1))) {
            List<Integer> channels = teacher.run(images.get(0)).stream().map(FloatTensor::channels).toList();
            assertEquals(List.of(16, 32, 64), channels);
            TrainingSettings settings = new TrainingSettings(stfpm.recipe().withBatchSize(4), 3, 1);
            try (TrainedStudent student = new StudentTrainer(stfpm, settings)
                    .train(stfpm.studentGraph(channels), null, teacher, images, true, TrainingProgress.NONE)) {
                assertTrue(student.epochLosses().get(2) < student.epochLosses().get(0),
                        "loss did not fall: " + student.epochLosses());
                Path onnx = dir.resolve("student.onnx");
                List<List<FloatTensor>> checked = images.subList(0, 2).stream().map(List::of).toList();
                double difference = StudentExport.exportVerified(student, checked, onnx,
                        StudentExport.PARITY_BOUND);
                assertTrue(difference <= StudentExport.PARITY_BOUND, "parity " + difference);
                try (OnnxNetwork served = OnnxNetwork.load(onnx, InferenceOptions.cpu(1))) {
                    List<FloatTensor> out = served.run(images.get(3));
                    assertEquals(List.of(16, 32, 64), out.stream().map(FloatTensor::channels).toList());
                    assertEquals(List.of(16, 8, 4), out.stream().map(FloatTensor::height).toList());
                }
                // A file of the same architecture with other weights (the teacher) must be refused.
                var refused = assertThrows(ExportParityException.class,
                        () -> StudentExport.verify(student, checked, teacherFile,
                                StudentExport.PARITY_BOUND));
                assertTrue(refused.getMessage().contains("differs"), refused.getMessage());

                // The bound itself, relative to the last tap's largest value: a served student off by ten bounds of
                // it is refused; one off by half a bound passes, and the check sees that offset (it compares against
                // the trained network, not against itself).
                double scale = 1;
                try (OnnxNetwork served = OnnxNetwork.load(onnx, InferenceOptions.cpu(1))) {
                    for (List<FloatTensor> sample : checked) {
                        for (float v : served.run(sample).get(2).data()) {
                            scale = Math.max(scale, Math.abs(v));
                        }
                    }
                }
                double unit = StudentExport.PARITY_BOUND * scale;
                Path offByTen = shiftLastBatchNormBias(onnx, (float) (10 * unit), dir.resolve("off-by-ten.onnx"));
                var tooFar = assertThrows(ExportParityException.class, () -> StudentExport.verify(student, checked,
                        offByTen, StudentExport.PARITY_BOUND));
                assertTrue(tooFar.getMessage().contains("output 2"), tooFar.getMessage());
                double slight = StudentExport.verify(student, checked,
                        shiftLastBatchNormBias(onnx, (float) (unit / 2), dir.resolve("off-by-half.onnx")),
                        StudentExport.PARITY_BOUND);
                assertTrue(slight >= 0.4 * StudentExport.PARITY_BOUND
                        && slight <= StudentExport.PARITY_BOUND, "parity " + slight + " at scale " + scale);

                // A fine-tune continues from the exported weights: with a learning rate of zero they stay exactly so.
                Map<String, OnnxWeights.Tensor> exported = OnnxWeights.read(onnx);
                TrainingSettings frozen = new TrainingSettings(stfpm.recipe().withBatchSize(4).withLearningRate(0), 1, 2);
                try (TrainedStudent continued = new StudentTrainer(stfpm, frozen)
                        .train(stfpm.studentGraph(channels), exported, teacher, images, true, TrainingProgress.NONE);
                        TrainedStudent fresh = new StudentTrainer(stfpm, frozen)
                        .train(stfpm.studentGraph(channels), null, teacher, images, true, TrainingProgress.NONE)) {
                    float[] conv1 = exported.get("conv1.weight").values();
                    assertArrayEquals(conv1, continued.block().parameter("conv1", "weight").toFloatArray());
                    assertFalse(Arrays.equals(conv1, fresh.block().parameter("conv1", "weight").toFloatArray()));
                }
            }
        }
    }
}
