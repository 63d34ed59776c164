package dev.kdedge.calibration.fit;

import static dev.kdedge.calibration.fit.ToyProductBench.png;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.image.Tiling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A product fitted and served in tiles: frames twice as wide as tall, the networks seeing two overlapping 80 x 64 tiles
 * of each 128 x 64 working image. The fit trains on tiles and checks the stitched served graph against the Java
 * reference (it publishes only within the bound); the graph takes and maps the whole image; a scratch that crosses
 * the tiles' shared band, whole in neither tile, still stands out; INT8 and a fine-tune keep the tiling.
 */
class TiledFitTest {
    private static final int HALF = 64;
    private static final Extent WORKING = new Extent(2 * HALF, HALF);
    private static final Tiling TILING = new Tiling(80, 64, 32);
    private static final int EPOCHS = 10;
    private static final InferenceOptions CPU = InferenceOptions.cpu(1);

    @TempDir
    Path dir;
    private ToyProductBench bench;

    @BeforeEach
    void setUp() throws Exception {
        bench = ToyProductBench.in(dir, i -> frame(100 + i));
    }

    @Test
    void aScratchAcrossTheTilesSharedBandStandsOutOfTheStitchedMap() throws Exception {
        ProductBundle bundle = bench.fit(request("tiled", "stfpm"));
        assertEquals(TILING, bundle.manifest().preprocessing().tiling());
        assertEquals(2, bundle.manifest().preprocessing().layout().count());
        assertEquals(48, bundle.manifest().preprocessing().layout().x(1), "the tiles share x 48..79");

        // a dark scratch from x 36 to 92: it crosses the shared band and neither tile holds all of it
        BufferedImage scratched = frame(900);
        for (int y = 29; y < 37; y++) {
            for (int x = 36; x < 92; x++) {
                scratched.getRaster().setSample(x, y, 0, 25);
            }
        }
        Path defect = png(scratched, dir.resolve("scratch.png"));
        try (BundleMaps maps = new BundleMaps(bundle, Precision.FP32, CPU)) {
            AnomalyMap map = maps.score(defect).map();
            assertEquals(WORKING, new Extent(map.width(), map.height()), "the map covers the whole working image");
            double normalMax = 0;
            for (int i = 0; i < 3; i++) {
                normalMax = Math.max(normalMax, maps.score(png(frame(950 + i), dir.resolve("good-" + i + ".png")))
                        .map().score());
            }
            System.out.printf("tiled STFPM: served parity %s; scratch %.4f, fresh normals up to %.4f, threshold %.4f%n",
                    bundle.manifest().served(), map.score(), normalMax, maps.threshold());
            assertTrue(map.score() >= maps.threshold() && map.score() > 2 * normalMax, "the scratch scores "
                    + map.score() + " against the threshold " + maps.threshold() + ", fresh normals up to " + normalMax);
            int peak = argMax(map.values());
            int x = peak % map.width();
            int y = peak / map.width();
            assertTrue(x >= 28 && x < 100 && y >= 21 && y < 45, "the map peaks on the scratch, at " + x + "," + y);
        }
        assertTrue(bundle.manifest().int8().published(), bundle.manifest().int8().refusal());
        try (BundleMaps int8 = new BundleMaps(bundle, Precision.INT8, CPU)) {
            AnomalyMap map = int8.score(defect).map();
            assertEquals(WORKING, new Extent(map.width(), map.height()));
        }

        ProductBundle tuned = bench.fit(FitRequest.refit(bundle, true, bench.normals(), List.of(), new TrainingSettings(
                Methods.named("stfpm").recipe().withBatchSize(4), 1, 1), 0.25, ThresholdPolicy.DEFAULT));
        assertEquals(TILING, tuned.manifest().preprocessing().tiling(), "a fine-tune keeps the tiling");
    }

    @Test
    void aDontCareMaskIsTakenOutOfTheStitchedMap() throws Exception {
        BufferedImage mask = new BufferedImage(2 * WORKING.width(), 2 * WORKING.height(),
                BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < mask.getHeight(); y++) {
            for (int x = mask.getWidth() / 2; x < mask.getWidth(); x++) {
                mask.getRaster().setSample(x, y, 0, 255);
            }
        }
        ProductBundle bundle = bench.fit(request("tiled-masked", "stfpm")
                .withDontCare(png(mask, dir.resolve("mask.png"))));
        assertEquals(TILING, bundle.manifest().preprocessing().tiling());
        assertNull(bundle.manifest().dontCare().polygons(), "a drawn PNG has no polygons to keep");
        for (Precision precision : List.of(Precision.FP32, Precision.INT8)) {
            try (BundleMaps maps = new BundleMaps(bundle, precision, CPU)) {
                AnomalyMap map = maps.score(bench.normals().get(0)).map();
                for (int y = 0; y < map.height(); y++) {
                    for (int x = map.width() / 2; x < map.width(); x++) {
                        assertEquals(0f, map.values()[y * map.width() + x], precision + " map at " + x + "," + y);
                    }
                }
                assertTrue(map.values()[map.width() / 4] > 0, "the left half still counts");
            }
        }
    }

    @Test
    void mkdScoresATiledImageByItsTilesOwnScores() throws Exception {
        ProductBundle bundle = bench.fit(request("tiled-mkd", "mkd"));
        assertEquals(TILING, bundle.manifest().preprocessing().tiling());
        try (BundleMaps maps = new BundleMaps(bundle, Precision.FP32, CPU)) {
            AnomalyMap map = maps.score(bench.normals().get(0)).map();
            assertEquals(WORKING, new Extent(map.width(), map.height()));
        }
    }

    private FitRequest request(String product, String methodName) {
        DistillationMethod method = Methods.named(methodName);
        return FitRequest.fromScratch(product, bench.teacher(), bench.normals(), method,
                method.preprocessing(WORKING).tiled(TILING),
                new TrainingSettings(method.recipe().withBatchSize(4), EPOCHS, 1), 0.25, ThresholdPolicy.DEFAULT, true);
    }

    /** A 128 x 64 frame of the woven texture, one texture across (no seam of the frame's own at its middle). */
    private static BufferedImage frame(long seed) {
        BufferedImage square = new SyntheticTiles(2 * HALF).normal(seed);
        BufferedImage frame = new BufferedImage(2 * HALF, HALF, BufferedImage.TYPE_BYTE_GRAY);
        frame.getRaster().setRect(square.getRaster().createChild(0, 0, 2 * HALF, HALF, 0, 0, null));
        return frame;
    }

    private static int argMax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
