package dev.kdedge.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.mkd.Mkd;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fit whose export fails the parity check publishes nothing: no version, no active version, no staging left; one
 * whose student cannot match the teacher's taps at the input size is refused before it trains.
 */
class ParityRefusalTest {
    /** No float32 engine reproduces a float64 reference this closely over thousands of outputs. */
    private static final double UNREACHABLE_BOUND = 1e-12;

    @TempDir
    Path dir;

    @Test
    void aFitThatFailsParityLeavesNoVersion() throws Exception {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 16, 3);
        SyntheticTiles tiles = new SyntheticTiles(64);
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Path file = dir.resolve("normal-" + i + ".png");
            ImageIO.write(tiles.normal(i), "png", file.toFile());
            images.add(file);
        }
        Stfpm stfpm = new Stfpm();
        FitRequest request = FitRequest.fromScratch("refused", teacher, images, stfpm,
                Preprocessing.imagenet(Extent.square(64)), new TrainingSettings(stfpm.recipe().withBatchSize(2), 1, 1),
                0.2, ThresholdPolicy.DEFAULT, true);
        ModelStore store = new ModelStore(dir.resolve("store"));

        var refused = assertThrows(Exception.class,
                () -> new ProductFitter(store, InferenceOptions.cpu(1), UNREACHABLE_BOUND).fit(request,
                        FitProgress.NONE));

        assertTrue(refused.getMessage().contains("differs from the trained one")
                && refused.getMessage().contains("nothing was written"), refused.getMessage());
        assertEquals(List.of(), store.versions("refused"));
        assertTrue(store.activeVersion("refused").isEmpty());
        try (Stream<Path> left = Files.list(store.root().resolve("products/refused/versions"))) {
            assertEquals(List.of(), left.toList(), "staging left behind");
        }
    }

    @Test
    void anInputSizeTheStudentsTapsCannotMatchIsRefusedBeforeTraining() throws Exception {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 16, 3);
        Path image = dir.resolve("normal.png");
        ImageIO.write(new SyntheticTiles(64).normal(1), "png", image.toFile());
        Mkd mkd = new Mkd();
        FitRequest request = FitRequest.fromScratch("odd", teacher, List.of(image, image), mkd,
                mkd.preprocessing(new Extent(128, 100)), new TrainingSettings(mkd.recipe(), 1, 1), 0,
                ThresholdPolicy.DEFAULT, true);
        ModelStore store = new ModelStore(dir.resolve("store"));

        var refused = assertThrows(IllegalArgumentException.class,
                () -> new ProductFitter(store, InferenceOptions.cpu(1)).fit(request, FitProgress.NONE));

        assertTrue(refused.getMessage().contains("at an input size of 128x100 px the mkd student's feature maps "
                + "would be [32x25, 16x12, 8x6] pixels (width x height) and the teacher's are [32x25, 16x13, 8x7]"),
                refused.getMessage());
        assertEquals(List.of(), store.versions("odd"));
    }
}
