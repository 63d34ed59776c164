package dev.kdedge.calibration.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * STFPM on the real magnetic-tile data with the ImageNet teacher, shortened to fit CI: MT-256's protocol (all 700
 * normal images, no hold-out, 256 px, official recipe) but {@value #EPOCHS} epochs instead of 30, about 6 minutes on
 * 2 cores. Measured: image AUROC 0.666 and 0.710 in two runs of seed 42 (PyTorch on the CPU is not bit-for-bit
 * repeatable); the floor leaves room for that spread and sits far above the 0.5 a broken map or loss gives. 30 epochs
 * is the benchmark (README, Quality): 0.737.
 */
class MagneticTileQualityTest {
    static final int EPOCHS = 3;
    static final double IMAGE_AUROC_FLOOR = 0.62;

    @TempDir
    Path store;

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void shortStfpmFitSeparatesDefectiveTiles() throws Exception {
        Path shared = Path.of(System.getProperty("kdedge.shared", "../shared"));
        Path data = shared.resolve("data/magnetic-tile");
        Path teacher = shared.resolve("models/resnet18-imagenet-layer1-3.onnx");
        boolean present = Files.isDirectory(data) && Files.isRegularFile(teacher);
        if (System.getenv("CI") == null) {
            assumeTrue(present, "../shared (magnetic-tile data, ImageNet teacher) is not beside this checkout");
        }
        assertTrue(present, "CI needs ../shared beside the checkout");

        Stfpm stfpm = new Stfpm();
        FitRequest request = FitRequest.fromScratch("magnetic-tile", teacher, ImageFolders.normalTrainingImages(data),
                stfpm, Preprocessing.imagenet(256), new TrainingSettings(stfpm.recipe(), EPOCHS, 42), 0,
                ThresholdPolicy.DEFAULT, true);
        ModelStore modelStore = new ModelStore(store);
        ProductBundle bundle = new ProductFitter(modelStore, InferenceOptions.cpu(2)).fit(request, FitProgress.NONE);

        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(data);
        EvaluationResult result;
        try (BundleMaps maps = new BundleMaps(bundle, InferenceOptions.cpu(2))) {
            result = new TestSetEvaluator(maps, store).evaluate(data, samples, done -> {});
        }
        System.out.println("MT-256 short run (" + EPOCHS + " epochs, parity "
                + bundle.manifest().training().parityMaxAbsDifference() + "): image AUROC " + result.imageAuroc()
                + ", pixel AUROC " + result.pixelAuroc() + ", PRO " + result.pro() + ", per type "
                + result.imageAurocPerType());
        assertEquals(644, result.images());
        assertEquals(5, result.imageAurocPerType().size());
        assertNotNull(result.pixelAuroc());
        assertTrue(result.imageAuroc() >= IMAGE_AUROC_FLOOR, "image AUROC " + result.imageAuroc());
    }
}
