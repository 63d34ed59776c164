package dev.kdedge.calibration.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each method on the real magnetic-tile data with the ImageNet teacher, shortened to fit CI: MT-256's protocol (all
 * 700 normal images, no hold-out, 256 px (MKD 128), official recipe) but a few epochs instead of the benchmark's, a
 * few minutes each on 2 cores. The floors leave room for PyTorch's run-to-run spread on the CPU and sit far above the
 * 0.5 a broken map or loss gives; the benchmarks (RESULTS.md) train for 30 (STFPM, MKD) and 20 (RD4AD) epochs. The
 * quality tier ({@code mvn -B test -Pquality}).
 */
@Tag("quality")
class MagneticTileQualityTest {
    /** A short run of a method at an input size and the image AUROC it must reach. */
    record ShortRun(String method, int inputSize, int epochs, double imageAurocFloor) {
        @Override
        public String toString() {
            return method + ", " + inputSize + " px, " + epochs + " epochs";
        }
    }

    /**
     * STFPM, 3 epochs: measured 0.666 and 0.710 in runs of seed 42 on a 2-core AMD EPYC, 0.640 on a 2-core Intel Xeon,
     * and after the fit's resize became Pillow's to the bit, 0.619 and 0.656 in two runs on that Xeon (0.737 at 30
     * epochs): three epochs leave STFPM's spread wide. RD4AD, 3 epochs: measured 0.814 and 0.815 (0.854 at 20
     * epochs). MKD at the paper's 128 px, 3 epochs: measured 0.683-0.687 (0.669 and 0.659 at 30 epochs, the official
     * training loop 0.657-0.685).
     */
    static List<ShortRun> shortRuns() {
        return List.of(new ShortRun("stfpm", 256, 3, 0.60), new ShortRun("rd4ad", 256, 3, 0.75),
                new ShortRun("mkd", 128, 3, 0.62));
    }

    @TempDir
    Path store;

    @ParameterizedTest(name = "{0}")
    @MethodSource("shortRuns")
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void shortFitSeparatesDefectiveTiles(ShortRun run) throws Exception {
        Path shared = Path.of(System.getProperty("kdedge.shared", "../shared"));
        Path data = shared.resolve("data/magnetic-tile");
        Path teacher = shared.resolve("models/resnet18-imagenet-layer1-3.onnx");
        assertTrue(Files.isDirectory(data) && Files.isRegularFile(teacher),
                "the quality tier needs ../shared (magnetic-tile data, ImageNet teacher) beside the checkout");

        DistillationMethod method = Methods.named(run.method());
        FitRequest request = FitRequest.fromScratch("magnetic-tile", teacher, ImageFolders.normalTrainingImages(data),
                method, method.preprocessing(Extent.square(run.inputSize())),
                new TrainingSettings(method.recipe(), run.epochs(), 42), 0, ThresholdPolicy.DEFAULT, true);
        ModelStore modelStore = new ModelStore(store);
        ProductBundle bundle = new ProductFitter(modelStore, InferenceOptions.cpu(2)).fit(request, FitProgress.NONE);

        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(data);
        EvaluationResult result;
        try (BundleMaps maps = new BundleMaps(bundle, Precision.FP32, InferenceOptions.cpu(2))) {
            result = new TestSetEvaluator(maps, store).evaluate(data, samples, done -> {});
        }
        System.out.println("MT-256 short run (" + run + ", parity "
                + bundle.manifest().training().parityMaxAbsDifference() + "): image AUROC " + result.imageAuroc()
                + ", pixel AUROC " + result.pixelAuroc() + ", PRO " + result.pro() + ", per type "
                + result.imageAurocPerType());
        assertEquals(644, result.images());
        assertEquals(5, result.imageAurocPerType().size());
        assertNotNull(result.pixelAuroc());
        assertTrue(result.imageAuroc() >= run.imageAurocFloor(), "image AUROC " + result.imageAuroc());

        // Each INT8 variant ranks the test set as fp32 does (measured on longer fits: within 0.3 points; on these short
        // fits image AUROC within a point, pixel AUROC within 1.2 points: STFPM's TensorRT rounding on a 2-core Xeon,
        // 0.652 against 0.664); the TensorRT one's rounding as ONNX Runtime runs it here.
        for (QdqScheme scheme : QdqScheme.values()) {
            Manifest.Int8 variant = bundle.manifest().int8(scheme);
            assertTrue(variant.published(), "no int8 variant for " + scheme.label() + ": " + variant.refusal());
            EvaluationResult int8;
            try (BundleMaps maps = new BundleMaps(bundle, Precision.INT8, scheme, InferenceOptions.cpu(2))) {
                int8 = new TestSetEvaluator(maps, store).evaluate(data, samples, done -> {});
            }
            System.out.println("  int8 for " + scheme.label() + " (deviation " + variant.scoreDeviation()
                    + ", float blocks " + variant.floatBlocks() + "): image AUROC " + int8.imageAuroc()
                    + ", pixel AUROC " + int8.pixelAuroc() + ", " + int8.inferenceMsMedian() + " ms against "
                    + result.inferenceMsMedian());
            assertEquals(result.imageAuroc(), int8.imageAuroc(), 0.01, scheme.label() + " int8 image AUROC");
            assertEquals(result.pixelAuroc(), int8.pixelAuroc(), 0.015, scheme.label() + " int8 pixel AUROC");
        }
    }
}
