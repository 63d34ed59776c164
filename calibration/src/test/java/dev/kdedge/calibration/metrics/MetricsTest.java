package dev.kdedge.calibration.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-computed cases; {@link MetricsCrossCheckTest} compares the same code with scikit-learn on random fixtures. */
class MetricsTest {
    @TempDir
    Path scratch;

    @Test
    void aurocAgreesWithScikitLearnOnHandCases() {
        // sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.75
        assertEquals(0.75, RocCurve.auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}), 1e-12);
        // ties count half: pairs (2>1) 1, (2=2) 0.5, (3>1) 1, (3>2) 1 -> 3.5 / 4
        assertEquals(0.875, RocCurve.auroc(new double[] {1, 2, 2, 3}, new boolean[] {false, false, true, true}), 1e-12);
    }

    @Test
    void rocCurveHasOnePointPerDistinctScore() {
        RocCurve roc = RocCurve.of(new double[] {1, 2, 2, 3}, new boolean[] {false, false, true, true});
        assertArrayEquals(new double[] {0, 0, 0.5, 1}, roc.falsePositiveRates(), 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 1, 1}, roc.truePositiveRates(), 1e-12);
    }

    @Test
    void degenerateImageScoresGetDefinedValuesOrClearErrors() {
        assertEquals(0.5, RocCurve.auroc(new double[] {7, 7, 7}, new boolean[] {false, true, true}), 1e-12,
                "constant scores cannot rank: chance");
        var allDefective = assertThrows(IllegalArgumentException.class,
                () -> RocCurve.auroc(new double[] {1, 2}, new boolean[] {true, true}));
        assertTrue(allDefective.getMessage().contains("0 normal, 2 anomalous"), allDefective.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RocCurve.auroc(new double[] {1, 2}, new boolean[] {false, false}));
        assertThrows(IllegalArgumentException.class, () -> RocCurve.auroc(new double[0], new boolean[0]));
        assertThrows(IllegalArgumentException.class, () -> RocCurve.auroc(new double[] {1}, new boolean[] {true, false}));
        var nan = assertThrows(IllegalArgumentException.class,
                () -> RocCurve.auroc(new double[] {1, Double.NaN}, new boolean[] {true, false}));
        assertTrue(nan.getMessage().contains("score 1 is NaN"), nan.getMessage());

        var noDefects = assertThrows(IllegalArgumentException.class,
                () -> F1Threshold.of(new double[] {1, 2}, new boolean[] {false, false}));
        assertTrue(noDefects.getMessage().contains("needs defective samples"), noDefects.getMessage());
        // only defects: every threshold has precision 1, the lowest catches all
        assertEquals(new F1Threshold(1, 1, 1, 1), F1Threshold.of(new double[] {3, 1, 2}, new boolean[] {true, true, true}));
        // constant scores: the only threshold flags everything
        assertEquals(new F1Threshold(5, 2.0 / 3, 0.5, 1), F1Threshold.of(new double[] {5, 5}, new boolean[] {false, true}));
    }

    @Test
    void f1ThresholdIsTheBestCutAndTheLowestAmongEquals() {
        // scores .1 .4 .35 .8, defective at .35 and .8.
        // t=.8: tp1 fp0 fn1 -> F1 2/3; t=.4: tp1 fp1 fn1 -> 1/2; t=.35: tp2 fp1 -> 4/5; t=.1: tp2 fp2 -> 2/3
        assertEquals(new F1Threshold(0.35, 0.8, 2.0 / 3, 1),
                F1Threshold.of(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}));
        // t=3: tp1 fp0 fn1 -> 2/3; t=2: tp1 fp1 fn1 -> 1/2; t=1: tp2 fp2 -> 2/3: ties resolve to the lowest
        assertEquals(1, F1Threshold.of(new double[] {3, 2, 1, 1}, new boolean[] {true, false, true, false}).threshold());
    }

    @Test
    void pixelAurocAndProOnOneRegion() throws Exception {
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            // 2x2 map; region = pixels 0 and 2. Descending: .9 (defect: PRO .5, FPR 0), .8 (normal: FPR .5).
            // PRO curve is .5 from FPR 0 to .3 -> normalized area .5. Pixel AUROC: 2 of 4 pairs ordered -> .5.
            m.add(new float[] {0.9f, 0.8f, 0.1f, 0.2f}, new boolean[] {true, false, true, false}, 2);
            PixelMetrics.Result r = m.compute(0.3);
            assertEquals(0.5, r.pixelAuroc(), 1e-12);
            assertEquals(0.5, r.pro(), 1e-12);
        }
    }

    @Test
    void proAveragesRegionsNotPixels() throws Exception {
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            // 3x3 map. Region A = pixel 0; region B = pixels 2 and 5 (not 8-connected to A).
            // .9 -> A covered (PRO .5); .8 -> half of B (PRO .75); normals .5, .4 -> FPR 1/6, 2/6.
            // Area up to FPR .3: 1/6 * .75 + (.3 - 1/6) * .75 = .225 -> / .3 = .75
            float[] scores = {0.9f, 0.5f, 0.8f, 0.4f, 0.3f, 0.1f, 0.2f, 0.15f, 0.05f};
            boolean[] mask = {true, false, true, false, false, true, false, false, false};
            m.add(scores, mask, 3);
            PixelMetrics.Result r = m.compute(0.3);
            assertEquals(0.75, r.pro(), 1e-9);
            ProCurve curve = r.proCurve();
            assertEquals(0.3, curve.falsePositiveRates()[curve.falsePositiveRates().length - 1], 1e-12);
            assertEquals(0.75, curve.overlaps()[curve.overlaps().length - 1], 1e-9);
            // The STFPM code keeps its thresholds up to FPR 1/6 (the next is 2/6 > .3) and stretches that to [0, 1],
            // and stretches the overlap .75 to 1: a flat curve at 1 -> 1.0, where the MVTec PRO is .75.
            assertEquals(1.0, r.proAsStfpmCode(), 1e-9);
        }
    }

    @Test
    void regionsAreEightConnectedAndPerImage() throws Exception {
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            // Pixels 0 and 4 touch diagonally: one region of 2 (4-connectivity would make two). The second map's
            // region is a region of its own. .9 covers half the diagonal region (PRO 1/4), .8 the other region
            // (PRO 3/4), all before any false positive; pixel 4 comes only after every normal pixel.
            m.add(new float[] {0.9f, 0.1f, 0.1f, 0.1f, 0.05f, 0.1f, 0.1f, 0.1f, 0.1f},
                    new boolean[] {true, false, false, false, true, false, false, false, false}, 3);
            m.add(new float[] {0.8f, 0.1f, 0.1f, 0.1f}, new boolean[] {true, false, false, false}, 2);
            assertEquals(0.75, m.compute(0.3).pro(), 1e-6);
        }
    }

    @Test
    void pixelsLeftOutCountNeitherAsNormalNorAsDefect() throws Exception {
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            // 3x3 map; the right column is left out (a don't-care region). Its .95 normal pixel would outrank the
            // defect, and its defect pixel (5) would join region B: left out, B is pixel 2 alone.
            float[] scores = {0.9f, 0.5f, 0.95f, 0.4f, 0.3f, 0.01f, 0.2f, 0.15f, 0.97f};
            boolean[] mask = {true, false, false, false, false, true, false, false, false};
            boolean[] leftOut = {false, false, true, false, false, true, false, false, true};
            m.add(scores, mask, leftOut, 3);
            m.add(new float[] {0.8f, 0.1f, 0.1f, 0.1f}, new boolean[] {true, false, false, false}, null, 2);
            // defects .9 and .8 above every counted normal (.5 .4 .3 .2 .15 and three .1): AUROC 1, PRO 1
            PixelMetrics.Result r = m.compute(0.3);
            assertEquals(1.0, r.pixelAuroc(), 1e-12);
            assertEquals(1.0, r.pro(), 1e-9);
        }
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            m.add(new float[] {0.9f, 0.5f, 0.95f, 0.4f, 0.3f, 0.01f, 0.2f, 0.15f, 0.97f},
                    new boolean[] {true, false, false, false, false, true, false, false, false}, 3);
            PixelMetrics.Result all = m.compute(0.3);
            assertTrue(all.pixelAuroc() < 1, "counted, the column's pixels move the figures: " + all.pixelAuroc());
        }
    }

    @Test
    void mapsWithoutMasksAddNormalPixels() throws Exception {
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            m.add(new float[] {0.9f, 0.1f, 0.1f, 0.1f}, new boolean[] {true, false, false, false}, 2);
            m.add(new float[] {0.95f, 0.2f, 0.2f, 0.2f}, null, 2);
            // one defect pixel against 3 + 4 normal ones; only the normal .95 outranks it -> 6 of 7 pairs ordered
            assertEquals(6.0 / 7, m.compute(0.3).pixelAuroc(), 1e-12);
        }
    }

    @Test
    void degeneratePixelInputsGetDefinedValuesOrClearErrors() throws Exception {
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            m.add(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, new boolean[] {true, false, false, false}, 2);
            PixelMetrics.Result r = m.compute(0.3);
            assertEquals(0.5, r.pixelAuroc(), 1e-12, "constant maps rank nothing");
            // everything is flagged at once: FPR jumps 0 -> 1 with the region covered, PRO interpolates to 0.3
            assertEquals(0.15, r.pro(), 1e-12);
            assertTrue(Double.isNaN(r.proAsStfpmCode()), "no threshold below FPR .3 flags anything: no curve");
        }
        try (PixelMetrics m = new PixelMetrics(scratch)) {
            m.add(new float[] {0.5f, 0.2f}, null, 2);
            assertFalse(m.hasDefectPixels());
            var e = assertThrows(IllegalArgumentException.class, () -> m.compute(0.3));
            assertTrue(e.getMessage().contains("2 normal, 0 defect"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.add(new float[] {Float.NaN, 0}, null, 2));
            assertThrows(IllegalArgumentException.class, () -> m.add(new float[] {1, 0, 0}, null, 2));
            assertThrows(IllegalArgumentException.class, () -> m.add(new float[] {1, 0}, new boolean[] {true}, 2));
        }
    }

    @Test
    void theSpillFileIsRemovedOnClose() throws Exception {
        PixelMetrics m = new PixelMetrics(scratch);
        m.add(new float[] {0.5f, 0.2f}, new boolean[] {true, false}, 2);
        m.close();
        try (var files = Files.list(scratch)) {
            assertEquals(0, files.count());
        }
    }
}
