package dev.kdedge.calibration.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ThresholdFitTest {
    private static double[] oneToHundred() {
        double[] s = new double[100];
        for (int i = 0; i < 100; i++) {
            s[99 - i] = i + 1;
        }
        return s;
    }

    @Test
    void thresholdRejectsTheTargetShareOfNormals() {
        // NumPy quantile of 1..100 at 0.95: position 94.05 -> 95.05
        ScoreCalibration c = ThresholdFit.atFalseRejectRate(oneToHundred(), 0.05, 0, 1);
        assertEquals(95.05, c.threshold(), 1e-9);
        long rejected = java.util.Arrays.stream(oneToHundred()).filter(c::isAnomalous).count();
        assertEquals(5, rejected);
        assertEquals(1, c.imageMin());
        assertEquals(100, c.imageMax());
    }

    @Test
    void zeroTargetRejectsNoNormal() {
        ScoreCalibration c = ThresholdFit.atFalseRejectRate(oneToHundred(), 0, 0, 1);
        assertFalse(c.isAnomalous(100));
        assertTrue(c.isAnomalous(100.001));
    }

    @Test
    void normalizationPutsTheThresholdAtOneHalfAndClamps() {
        ScoreCalibration c = new ScoreCalibration(10, 0, 20, 0, 40);
        assertEquals(0.5, c.normalizeImage(10), 1e-12);
        assertEquals(0.75, c.normalizeImage(15), 1e-12);
        assertEquals(1.0, c.normalizeImage(1000), 1e-12);
        assertEquals(0.0, c.normalizeImage(-1000), 1e-12);
        assertEquals(0.625, c.normalizePixel(15), 1e-12);
    }

    @Test
    void noNormalsIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> ThresholdFit.atFalseRejectRate(new double[0], 0.01, 0, 1));
    }
}
