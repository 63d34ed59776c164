package dev.kdedge.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeapBudgetTest {
    @TempDir
    Path dir;

    @Test
    void mt256FitNeedsItsImagesAndTeacherFeaturesOnTheHeap() {
        long input = 4L * 3 * 256 * 256;
        long features = 4L * (64 * 64 * 64 + 128 * 32 * 32 + 256 * 16 * 16);
        long required = HeapBudget.required(700, 0, 32, input, 1, 0, features, true);
        assertEquals((256L << 20) + 700 * (input + features) + 64 * (input + features), required);
        assertTrue(required > 2.0e9 && required < 2.5e9, "MT-256 fits in -Xmx3g (measured): " + required);
    }

    /**
     * A tiled fit holds each image and the teacher's features of its tiles (the tiles themselves are cut when read):
     * 1024 x 512 in 15 tiles of 256 is 33.8 MB an image with RD4AD's features kept, 6.3 MB without them.
     */
    @Test
    void aTiledFitNeedsItsImagesAndTheFeaturesOfTheirTilesWhereTheyAreKept() {
        long image = 4L * 3 * 1024 * 512;
        long tile = 4L * 3 * 256 * 256;
        long features = 4L * (64 * 64 * 64 + 128 * 32 * 32 + 256 * 16 * 16);
        long inFlight = 64 * (tile + features);
        assertEquals((256L << 20) + 100 * (image + 15 * features) + 20 * image + inFlight,
                HeapBudget.required(100, 20, 32, image, 15, tile, features, true));
        assertEquals((256L << 20) + 100 * image + 20 * image + inFlight,
                HeapBudget.required(100, 20, 32, image, 15, tile, features, false));
    }

    @Test
    void aFitTooLargeForTheHeapIsRefusedBeforeAnyImageIsLoaded() throws Exception {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 8, 3);
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            images.add(dir.resolve("never-read-" + i + ".png"));
        }
        Stfpm stfpm = new Stfpm();
        FitRequest request = FitRequest.fromScratch("big", teacher, images, stfpm,
                Preprocessing.imagenet(Extent.square(1024)), new TrainingSettings(stfpm.recipe(), 1, 1), 0.2,
                ThresholdPolicy.DEFAULT, true);
        ModelStore store = new ModelStore(dir.resolve("store"));

        var refused = assertThrows(IllegalStateException.class,
                () -> new ProductFitter(store, InferenceOptions.cpu(1)).fit(request, FitProgress.NONE));

        assertTrue(refused.getMessage().startsWith("fitting 5000 images at 1024 px needs about"), refused.getMessage());
        assertTrue(refused.getMessage().contains("raise the maximum heap (-Xmx"), refused.getMessage());
        assertEquals(List.of(), store.versions("big"));
    }
}
