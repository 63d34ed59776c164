package dev.kdedge.calibration.fit;

import static dev.kdedge.calibration.fit.ToyProductBench.png;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.evaluation.EvaluationResult;
import dev.kdedge.calibration.evaluation.TestSetEvaluator;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A product's don't-care region as the engineer fits it ({@code fit --dont-care}): frames twice as wide as tall, the
 * mask drawn at twice their resolution over the right half. The region is out of the map, the score (fp32 and INT8),
 * the threshold's synthetic defects and the pixel metrics, a fine-tune keeps it, and what the fit cannot honour is
 * refused before training.
 */
class DontCareFitTest {
    private static final int TILE = 64;
    private static final Extent INPUT = new Extent(2 * TILE, TILE);
    private static final InferenceOptions CPU = InferenceOptions.cpu(1);

    @TempDir
    Path dir;
    private ToyProductBench bench;

    @BeforeEach
    void setUp() throws Exception {
        SyntheticTiles tiles = new SyntheticTiles(TILE);
        bench = ToyProductBench.in(dir, i -> SyntheticTiles.sideBySide(tiles.normal(100 + i), tiles.normal(200 + i)));
    }

    @Test
    void aDefectUnderTheMaskNoLongerRaisesTheScoreAndOneElsewhereStillDoes() throws Exception {
        Path testSet = testSet();
        Path leftDefect = testSet.resolve("test/scratch/left.png");
        Path rightDefect = testSet.resolve("test/scratch/right.png");
        Path region = rightHalf();

        ProductBundle plain = bench.fit(request("plain", "stfpm"));
        ProductBundle masked = bench.fit(request("masked", "stfpm").withDontCare(region));

        Manifest.DontCare kept = masked.manifest().dontCare();
        assertEquals(new Manifest.DontCare(DontCareMask.FILE, kept.sha256(), 4 * TILE, 2 * TILE, 0.5,
                List.of(List.of(List.of(2.0 * TILE, 0.0), List.of(4.0 * TILE, 0.0), List.of(4.0 * TILE, 2.0 * TILE),
                        List.of(2.0 * TILE, 2.0 * TILE)))), kept, "the polygons kept as written down");
        // the version keeps the region as a PNG, the one an engineer would have drawn
        assertArrayEquals(DontCareMask.read(mask(4 * TILE, 2 * TILE, 2 * TILE, 0, 2 * TILE, 2 * TILE))
                .at(4 * TILE, 2 * TILE), DontCareMask.read(masked.directory().resolve(DontCareMask.FILE))
                .at(4 * TILE, 2 * TILE));
        try (BundleMaps without = new BundleMaps(plain, Precision.FP32, CPU);
                BundleMaps with = new BundleMaps(masked, Precision.FP32, CPU)) {
            double rightWithout = without.score(rightDefect).map().score();
            assertTrue(rightWithout >= without.threshold(), "without the mask the right tile's scratch is a defect: "
                    + rightWithout + " against " + without.threshold());
            AnomalyMap rightWith = with.score(rightDefect).map();
            assertTrue(rightWith.score() < with.threshold(), "under the mask it no longer raises the score: "
                    + rightWith.score() + " against " + with.threshold());
            double leftWith = with.score(leftDefect).map().score();
            assertTrue(leftWith >= with.threshold(), "the rest of the image still counts: " + leftWith
                    + " against " + with.threshold());
            assertZeroUnderTheMask(rightWith);

            EvaluationResult evaluated = new TestSetEvaluator(with, dir).evaluate(testSet,
                    MvtecTestSet.load(testSet), done -> {});
            assertTrue(evaluated.notes().contains("the version's don't-care region (50.0% of each map) is left out "
                    + "of pixel AUROC and PRO"), evaluated.notes().toString());
            assertTrue(evaluated.pixelAuroc() != null, "the left defect's pixels still count");
        }
        assertTrue(masked.manifest().int8().published(), masked.manifest().int8().refusal());
        try (BundleMaps int8 = new BundleMaps(masked, Precision.INT8, CPU)) {
            assertZeroUnderTheMask(int8.score(rightDefect).map());
        }

        ProductBundle tuned = bench.fit(FitRequest.refit(masked, true, bench.normals(), List.of(), new TrainingSettings(
                Methods.named("stfpm").recipe().withBatchSize(4), 1, 1), 0.2, ThresholdPolicy.DEFAULT));
        assertEquals(kept, tuned.manifest().dontCare(), "a fine-tune keeps the version's mask");
        assertArrayEquals(Files.readAllBytes(masked.directory().resolve(DontCareMask.FILE)),
                Files.readAllBytes(tuned.directory().resolve(DontCareMask.FILE)));
    }

    /**
     * A new region is a new version of the same student, with no training and the threshold as served: its served
     * graph and INT8 variants made again from the normals; and the region can be taken away the same way.
     */
    @Test
    void aRegionChangedWithoutTrainingIsANewVersionOfTheSameStudent() throws Exception {
        Path testSet = testSet();
        Path leftDefect = testSet.resolve("test/scratch/left.png");
        Path rightDefect = testSet.resolve("test/scratch/right.png");
        ProductBundle plain = bench.fit(request("plain", "stfpm"));

        ProductBundle masked = bench.fit(FitRequest.remask(plain, rightHalf(), bench.normals(), 0.25, false));
        assertEquals(plain.version() + 1, masked.version());
        assertEquals(Integer.valueOf(plain.version()), masked.manifest().parentVersion());
        assertEquals(plain.manifest().student(), masked.manifest().student(), "the same student, not retrained");
        assertEquals(plain.manifest().training(), masked.manifest().training());
        assertArrayEquals(Files.readAllBytes(plain.studentFile()), Files.readAllBytes(masked.studentFile()));
        assertEquals(0.5, masked.manifest().dontCare().coveredShare());
        assertEquals(plain.version(), bench.store().activeVersion("plain").orElseThrow(), "not activated");
        try (BundleMaps with = new BundleMaps(masked, Precision.FP32, CPU)) {
            assertEquals(plain.manifest().threshold().calibration().threshold(), with.threshold(),
                    "the threshold as served: the region only takes pixels out of the maximum");
            assertEquals("fixed", masked.manifest().threshold().policy());
            AnomalyMap rightWith = with.score(rightDefect).map();
            assertTrue(rightWith.score() < with.threshold(), "under the mask the scratch no longer raises the score: "
                    + rightWith.score() + " against " + with.threshold());
            assertZeroUnderTheMask(rightWith);
            double leftWith = with.score(leftDefect).map().score();
            assertTrue(leftWith >= with.threshold(), "the rest still counts: " + leftWith + " against "
                    + with.threshold());
        }
        assertTrue(masked.manifest().int8().published(), masked.manifest().int8().refusal());
        try (BundleMaps int8 = new BundleMaps(masked, Precision.INT8, CPU)) {
            assertZeroUnderTheMask(int8.score(rightDefect).map());
        }

        ProductBundle unmasked = bench.fit(FitRequest.remask(masked, null, bench.normals(), 0.25, true));
        assertTrue(unmasked.manifest().dontCare() == null, "the region taken away");
        assertEquals(plain.manifest().student(), unmasked.manifest().student());
        assertEquals(unmasked.version(), bench.store().activeVersion("plain").orElseThrow());
        try (BundleMaps without = new BundleMaps(unmasked, Precision.FP32, CPU)) {
            assertTrue(without.score(rightDefect).map().score() >= without.threshold(),
                    "every pixel counts again");
        }
    }

    /**
     * Normals pile up on site, and a new region is applied while the engineer waits (the console's Apply): it reads a
     * sample of them, as many as its checks need, so neither its time nor the node's heap grows with them.
     */
    @Test
    void aNewRegionReadsASampleOfTheNormalsHoweverManyWereCollected() throws Exception {
        ProductBundle plain = bench.fit(request("plain", "stfpm"));
        List<Path> collected = new ArrayList<>();
        Files.createDirectories(dir.resolve("collected"));
        for (int i = 0; i < 800; i++) {
            collected.add(Files.copy(bench.normals().get(i % ToyProductBench.NORMALS),
                    dir.resolve("collected/" + i + ".png")));
        }
        List<Integer> read = new ArrayList<>();
        ProductBundle masked = new ProductFitter(bench.store(), CPU).fit(
                FitRequest.remask(plain, rightHalf(), collected, 0.2, false), new FitProgress() {
                    @Override
                    public void imageLoaded(int done, int total) {
                        if (done == total) {
                            read.add(total);
                        }
                    }
                });
        assertEquals(List.of(32, 128), read, "32 of the 640 others (the INT8 ranges), 128 of the 160 held out");
        assertEquals(128, masked.manifest().threshold().images());
        assertEquals(32, masked.manifest().int8().calibrationImages());
        assertEquals(128, masked.manifest().int8().checkImages());
    }

    @Test
    void whatTheFitCannotHonourIsRefusedBeforeTraining() throws Exception {
        assertRefused(request("all", "stfpm").withDontCare(mask(256, 128, 0, 0, 256, 128)),
                "the don't-care mask covers the whole image at the model's input (128x64 px): nothing would be "
                        + "inspected");
        assertRefused(request("most", "stfpm").withDontCare(mask(256, 128, 0, 0, 240, 128)),
                "the don't-care mask leaves out 93.8% of the model's input (128x64 px); at most 90% may be left out");
        assertRefused(request("none", "stfpm").withDontCare(mask(256, 128, 0, 0, 0, 0)),
                "the don't-care mask marks no pixel at the model's input (128x64 px): white marks what does not "
                        + "count, black what is inspected");
        assertRefused(request("square", "rd4ad").withDontCare(mask(200, 200, 0, 0, 50, 50)),
                "the product's don't-care mask was drawn on 200x200 frames (aspect 1.000) and this image is 128x64 "
                        + "(aspect 2.000): the region would land elsewhere");
        assertRefused(request("mkd", "mkd").withDontCare(mask(256, 128, 0, 0, 50, 50)),
                "mkd scores a part by its detection loss over the whole image, not by its anomaly map: a don't-care "
                        + "mask cannot take a region out of that score");
        Path jpeg = dir.resolve("mask.jpg");
        ImageIO.write(ImageIO.read(mask(256, 128, 0, 0, 50, 50).toFile()), "jpg", jpeg.toFile());
        IOException notPng = assertThrows(IOException.class,
                () -> bench.fit(request("jpeg", "stfpm").withDontCare(jpeg)));
        assertTrue(notPng.getMessage().contains("a don't-care mask must be a PNG"), notPng.getMessage());
        Path outside = Files.writeString(dir.resolve("outside.json"),
                "{\"width\": 256, \"height\": 128, \"polygons\": [[[0, 0], [300, 0], [0, 50]]]}");
        IOException notInFrame = assertThrows(IOException.class,
                () -> bench.fit(request("outside", "stfpm").withDontCare(outside)));
        assertTrue(notInFrame.getMessage().contains("polygon 1, point 2 (300.0, 0.0) is outside the 256x128 frame"),
                notInFrame.getMessage());
        assertTrue(bench.store().products().isEmpty(), "nothing was written: " + bench.store().products());
    }

    private void assertRefused(FitRequest request, String message) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> bench.fit(request));
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
    }

    private static void assertZeroUnderTheMask(AnomalyMap map) {
        for (int y = 0; y < map.height(); y++) {
            for (int x = map.width() / 2; x < map.width(); x++) {
                assertEquals(0f, map.values()[y * map.width() + x], "map at " + x + "," + y);
            }
        }
    }

    /**
     * A test set of the toy product: a scratch in the left tile, one in the right tile (each with its ground truth)
     * and three good images.
     */
    private Path testSet() throws IOException {
        SyntheticTiles tiles = new SyntheticTiles(TILE);
        SyntheticTiles.Defect left = tiles.defective(7);
        SyntheticTiles.Defect right = tiles.defective(8);
        BufferedImage blank = new BufferedImage(TILE, TILE, BufferedImage.TYPE_BYTE_GRAY);
        Path testSet = dir.resolve("test-set");
        png(SyntheticTiles.sideBySide(left.image(), tiles.normal(300)), testSet.resolve("test/scratch/left.png"));
        png(SyntheticTiles.sideBySide(left.mask(), blank), testSet.resolve("ground_truth/scratch/left_mask.png"));
        png(SyntheticTiles.sideBySide(tiles.normal(301), right.image()), testSet.resolve("test/scratch/right.png"));
        png(SyntheticTiles.sideBySide(blank, right.mask()), testSet.resolve("ground_truth/scratch/right_mask.png"));
        for (int i = 0; i < 3; i++) {
            png(SyntheticTiles.sideBySide(tiles.normal(400 + i), tiles.normal(500 + i)),
                    testSet.resolve("test/good/" + i + ".png"));
        }
        return testSet;
    }

    /** The right half of the product's frames, written down as a polygon in its settings rather than drawn. */
    private Path rightHalf() throws IOException {
        return Files.writeString(dir.resolve("region.json"), String.format(
                "{\"width\": %d, \"height\": %d, \"polygons\": [[[%d, 0], [%d, 0], [%d, %d], [%d, %d]]]}",
                4 * TILE, 2 * TILE, 2 * TILE, 4 * TILE, 4 * TILE, 2 * TILE, 2 * TILE, 2 * TILE));
    }

    private FitRequest request(String product, String methodName) {
        DistillationMethod method = Methods.named(methodName);
        return FitRequest.fromScratch(product, bench.teacher(), bench.normals(), method, method.preprocessing(INPUT),
                new TrainingSettings(method.recipe().withBatchSize(4), 3, 1), 0.25, ThresholdPolicy.DEFAULT, true);
    }

    /** A black {@code width} x {@code height} mask, white over the rectangle at (x, y) of {@code w} x {@code h}. */
    private Path mask(int width, int height, int x, int y, int w, int h) throws IOException {
        BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = mask.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(x, y, w, h);
        g.dispose();
        return png(mask, Files.createTempFile(dir, "mask-", ".png"));
    }
}
