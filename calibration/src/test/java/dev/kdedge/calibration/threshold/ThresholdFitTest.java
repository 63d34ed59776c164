package dev.kdedge.calibration.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
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
    void fewHeldOutNormalsExtrapolateTheTargetQuantileFromALogNormal() {
        // 12 scores whose logs are -1.1, -0.9, ..., 1.1: mean 0, sample standard deviation 0.7211.
        double[] scores = new double[12];
        double squares = 0;
        for (int i = 0; i < 12; i++) {
            double log = -1.1 + 0.2 * i;
            scores[i] = Math.exp(log);
            squares += log * log;
        }
        double sd = Math.sqrt(squares / 11);
        ScoreCalibration c = ThresholdFit.atFalseRejectRate(scores, 0.005, 0, 1);
        // z(0.995) = 2.5758: the empirical quantile of 12 scores would be their maximum, exp(1.1) = 3.00
        assertEquals(Math.exp(2.5758293035489 * sd), c.threshold(), 1e-9);
        assertEquals(6.41, c.threshold(), 0.01);
        assertEquals(Math.exp(1.1), c.imageMax(), 1e-12);

        // enough normals for the rate: the empirical quantile, as before
        assertEquals(95.05, ThresholdFit.atFalseRejectRate(oneToHundred(), 0.05, 0, 1).threshold(), 1e-9);
        // a zero score has no logarithm: the largest score, just above it
        double[] withZero = {0, 1, 2};
        assertEquals(Math.nextUp(2.0), ThresholdFit.atFalseRejectRate(withZero, 0.005, 0, 1).threshold());
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
    void aMapWithAScaleOfItsOwnHasItsOwnBoundary() {
        // MKD: scores are losses, maps are in [0, 1] per image with the boundary at 0.5.
        ScoreCalibration c = new ScoreCalibration(0.3, 0.1, 0.4, 0, 1).withPixelThreshold(0.5);
        assertEquals(0.5, c.normalizeImage(0.3), 1e-12);
        assertEquals(0.5, c.normalizePixel(0.5), 1e-12);
        assertEquals(0.9, c.normalizePixel(0.9), 1e-12);
        assertTrue(c.isAnomalous(0.3));
    }

    @Test
    void noNormalsIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> ThresholdFit.atFalseRejectRate(new double[0], 0.01, 0, 1));
    }

    @Test
    void aRecallTargetCatchesAtLeastThatShareOfTheDefects() {
        double[] defects = {0.9, 0.1, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4, 1.0};
        assertEquals(0.2, ThresholdFit.atRecall(defects, 0.9), "9 of 10 at or above it");
        assertEquals(0.6, ThresholdFit.atRecall(defects, 0.5));
        assertEquals(0.1, ThresholdFit.atRecall(defects, 0.95), "a share between two counts rounds up");
        var none = assertThrows(IllegalArgumentException.class, () -> ThresholdFit.atRecall(new double[0], 0.9));
        assertEquals("a synthetic recall target needs held-out normals to paint the synthetic defects on (a hold-out "
                + "fraction above 0)", none.getMessage());
    }

    /** The synthetic recall policy moves the threshold, never the normalization ranges the normals set. */
    @Test
    void theSyntheticRecallPolicySetsTheThresholdFromTheDefects() {
        double[] normals = {0.1, 0.2, 0.3, 0.4};
        double[] synthetic = {0.25, 0.5, 0.75, 1.0};
        ScoreCalibration byRecall = ThresholdPolicy.targetSyntheticRecall(0.75).apply(normals, synthetic, 0, 2);
        ScoreCalibration byRate = ThresholdPolicy.targetFalseRejectRate(0.01).apply(normals, synthetic, 0, 2);
        assertEquals(0.5, byRecall.threshold());
        assertEquals(byRate.imageMin(), byRecall.imageMin());
        assertEquals(byRate.imageMax(), byRecall.imageMax());
        var outOfRange = assertThrows(IllegalArgumentException.class,
                () -> ThresholdPolicy.targetSyntheticRecall(0.3));
        assertEquals("target synthetic recall must be 0.5..0.999, was 0.3", outOfRange.getMessage());
    }

    /**
     * A review band: from the score that catches the band's share of the synthetic defects up to the policy's
     * threshold, a part goes to a person; empty where that score is not below the threshold. Stored policies
     * without a band read as before.
     */
    @Test
    void aReviewBandSendsTheScoresBetweenItsEdgesToAPerson() throws Exception {
        double[] normals = {0.1, 0.2, 0.3, 0.4};
        double[] synthetic = {0.25, 0.5, 0.75, 1.0};
        ScoreCalibration band = ThresholdPolicy.fixed(0.8).withReviewBand(0.75).apply(normals, synthetic, 0, 2);
        assertEquals(0.8, band.threshold());
        assertEquals(0.5, band.reviewFrom(), "3 of the 4 synthetic defects at or above the band's lower edge");
        assertFalse(band.inReviewBand(0.49));
        assertTrue(band.inReviewBand(0.5));
        assertTrue(band.inReviewBand(0.79));
        assertFalse(band.inReviewBand(0.8), "at the threshold: rejected, not reviewed");
        assertTrue(band.isAnomalous(0.8));

        ScoreCalibration empty = ThresholdPolicy.fixed(0.4).withReviewBand(0.5).apply(normals, synthetic, 0, 2);
        assertEquals(0.4, empty.reviewFrom(), "the share is caught above the threshold already");
        assertFalse(empty.inReviewBand(0.39));
        assertFalse(empty.inReviewBand(0.4));
        assertEquals(0.5, band.withPixelThreshold(0.3).reviewFrom(), "a map boundary keeps the band");

        var outOfRange = assertThrows(IllegalArgumentException.class,
                () -> ThresholdPolicy.DEFAULT.withReviewBand(1.0));
        assertEquals("the review band's synthetic recall must be 0.5..0.999, was 1.0", outOfRange.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ScoreCalibration(0.5, 0, 1, 0, 1, null, 0.6));

        ObjectMapper json = new ObjectMapper();
        ThresholdPolicy withBand = ThresholdPolicy.targetFalseRejectRate(0.01).withReviewBand(0.8);
        assertEquals(withBand, json.readValue(json.writeValueAsString(withBand), ThresholdPolicy.class));
        assertEquals(ThresholdPolicy.targetFalseRejectRate(0.01), json.readValue(
                "{\"policy\":\"target-false-reject-rate\",\"value\":0.01}", ThresholdPolicy.class));
    }
}
