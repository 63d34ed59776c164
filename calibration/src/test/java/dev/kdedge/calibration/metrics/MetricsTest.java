package dev.kdedge.calibration.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void aurocAgreesWithScikitLearnOnHandCases() {
        // sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.75
        assertEquals(0.75, Auroc.of(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}), 1e-12);
        // ties count half: pairs (2>1) 1, (2=2) 0.5, (3>1) 1, (3>2) 1 -> 3.5 / 4
        assertEquals(0.875, Auroc.of(new double[] {1, 2, 2, 3}, new boolean[] {false, false, true, true}), 1e-12);
        assertEquals(0.5, Auroc.of(new double[] {7, 7, 7}, new boolean[] {false, true, true}), 1e-12);
    }

    @Test
    void aurocWithoutBothClassesIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Auroc.of(new double[] {1, 2}, new boolean[] {true, true}));
        assertThrows(IllegalArgumentException.class, () -> Auroc.of(new double[] {1, 2}, new boolean[] {false, false}));
    }

    @Test
    void pixelAurocAndProOnOneRegion() {
        PixelMetrics m = new PixelMetrics();
        // 2x2 map; region = pixels 0 and 2. Descending: .9 (defect: PRO .5, FPR 0), .8 (normal: FPR .5).
        // PRO curve is .5 from FPR 0 to .3 -> normalized area .5. Pixel AUROC: 2 of 4 pairs ordered -> .5.
        m.add(new float[] {0.9f, 0.8f, 0.1f, 0.2f}, new boolean[] {true, false, true, false});
        assertEquals(0.5, m.pixelAuroc(), 1e-12);
        assertEquals(0.5, m.pro(0.3), 1e-12);
    }

    @Test
    void proAveragesRegionsNotPixels() {
        PixelMetrics m = new PixelMetrics();
        // 3x3 map. Region A = pixel 0; region B = pixels 2 and 5 (not 8-connected to A).
        // .9 -> A covered (PRO .5); .8 -> half of B (PRO .75); normals .5, .4 -> FPR 1/6, 2/6.
        // Area up to FPR .3: 1/6 * .75 + (.3 - 1/6) * .75 = .225 -> / .3 = .75
        float[] scores = {0.9f, 0.5f, 0.8f, 0.4f, 0.3f, 0.1f, 0.2f, 0.15f, 0.05f};
        boolean[] mask = {true, false, true, false, false, true, false, false, false};
        m.add(scores, mask);
        assertEquals(0.75, m.pro(0.3), 1e-9);
    }

    @Test
    void mapsWithoutMasksAddNormalPixels() {
        PixelMetrics m = new PixelMetrics();
        m.add(new float[] {0.9f, 0.1f, 0.1f, 0.1f}, new boolean[] {true, false, false, false});
        m.add(new float[] {0.95f, 0.2f, 0.2f, 0.2f}, null);
        // one defect pixel against 3 + 4 normal ones; only the normal .95 outranks it -> 6 of 7 pairs ordered
        assertEquals(6.0 / 7, m.pixelAuroc(), 1e-12);
    }
}
