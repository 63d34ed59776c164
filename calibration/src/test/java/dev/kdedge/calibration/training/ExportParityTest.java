package dev.kdedge.calibration.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.network.OnnxWeights;
import dev.kdedge.calibration.tensor.FloatTensor;
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
    void trainedStudentLearnsAndExportsWithinTheParityBound() throws Exception {
        Path teacherFile = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacherFile, 8, 3);
        Random random = new Random(5);
        List<FloatTensor> images = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            float[] data = new float[3 * 64 * 64];
            for (int k = 0; k < data.length; k++) {
                data[k] = (float) random.nextGaussian();
            }
            images.add(new FloatTensor(1, 3, 64, 64, data));
        }
        DistillationMethod stfpm = new Stfpm();
        try (OnnxNetwork teacher = OnnxNetwork.load(teacherFile, InferenceOptions.cpu(1))) {
            List<Integer> channels = teacher.run(images.get(0)).stream().map(FloatTensor::channels).toList();
            assertEquals(List.of(8, 16, 32), channels);
            TrainingSettings settings = new TrainingSettings(stfpm.recipe().withBatchSize(4), 3, 1);
            try (TrainedStudent student = new StudentTrainer(stfpm, settings)
                    .train(stfpm.studentGraph(channels), null, teacher, images, TrainingProgress.NONE)) {
                assertTrue(student.epochLosses().get(2) < student.epochLosses().get(0),
                        "loss did not fall: " + student.epochLosses());
                Path onnx = dir.resolve("student.onnx");
                double difference = StudentExport.exportVerified(student, images.subList(0, 2), onnx);
                assertTrue(difference <= StudentExport.MAX_ABS_DIFFERENCE, "parity " + difference);
                try (OnnxNetwork served = OnnxNetwork.load(onnx, InferenceOptions.cpu(1))) {
                    List<FloatTensor> out = served.run(images.get(3));
                    assertEquals(List.of(8, 16, 32), out.stream().map(FloatTensor::channels).toList());
                    assertEquals(List.of(16, 8, 4), out.stream().map(FloatTensor::height).toList());
                }
                // A file of the same architecture with other weights (the teacher) must be refused.
                var refused = assertThrows(ExportParityException.class,
                        () -> StudentExport.verify(student, images.subList(0, 2), teacherFile));
                assertTrue(refused.getMessage().contains("differs"), refused.getMessage());

                // A fine-tune continues from the exported weights: with a learning rate of zero they stay exactly so.
                Map<String, OnnxWeights.Tensor> exported = OnnxWeights.read(onnx);
                TrainingSettings frozen = new TrainingSettings(stfpm.recipe().withBatchSize(4).withLearningRate(0), 1, 2);
                try (TrainedStudent continued = new StudentTrainer(stfpm, frozen)
                        .train(stfpm.studentGraph(channels), exported, teacher, images, TrainingProgress.NONE);
                        TrainedStudent fresh = new StudentTrainer(stfpm, frozen)
                        .train(stfpm.studentGraph(channels), null, teacher, images, TrainingProgress.NONE)) {
                    float[] conv1 = exported.get("conv1.weight").values();
                    assertArrayEquals(conv1, continued.block().parameter("conv1", "weight").toFloatArray());
                    assertFalse(Arrays.equals(conv1, fresh.block().parameter("conv1", "weight").toFloatArray()));
                }
            }
        }
    }
}
