package dev.kdedge.calibration.method.stfpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class StfpmAnomalyMapTest {
    /** Two channels at 2x2 positions; {@code vectors[p]} is the channel vector at position p. */
    private static FloatTensor tap(float[][] vectors, int side) {
        int positions = side * side;
        float[] data = new float[2 * positions];
        for (int p = 0; p < positions; p++) {
            data[p] = vectors[p][0];
            data[positions + p] = vectors[p][1];
        }
        return new FloatTensor(1, 2, side, side, data);
    }

    @Test
    void mapIsProductOfPerTapNormalizedSquaredDistances() {
        // Tap 1, per position: orthogonal -> 2; same direction, other length -> 0; 45 degrees -> 2 - sqrt(2);
        // both zero -> 0 (normalization epsilon).
        FloatTensor t1 = tap(new float[][] {{1, 0}, {3, 0}, {1, 1}, {0, 0}}, 2);
        FloatTensor s1 = tap(new float[][] {{0, 1}, {1, 0}, {1, 0}, {0, 0}}, 2);
        // Tap 2: orthogonal everywhere -> 2. Tap 3: one position (1x1), orthogonal -> 2, upsampled to every position.
        FloatTensor t2 = tap(new float[][] {{1, 0}, {1, 0}, {1, 0}, {1, 0}}, 2);
        FloatTensor s2 = tap(new float[][] {{0, 1}, {0, 1}, {0, 1}, {0, 1}}, 2);
        FloatTensor t3 = tap(new float[][] {{0, 2}}, 1);
        FloatTensor s3 = tap(new float[][] {{5, 0}}, 1);

        AnomalyMap map = StfpmAnomalyMap.compute(List.of(t1, t2, t3), List.of(s1, s2, s3), 0, Extent.square(2));

        float d45 = (float) (2 - Math.sqrt(2));
        assertArrayEquals(new float[] {8, 0, 4 * d45, 0}, map.values(), 1e-5f);
        assertEquals(8f, map.score(), 1e-5f);
    }

    @Test
    void distanceOfTheSecondSampleOfABatch() {
        float[] teacher = {1, 0, 0, 1};
        float[] student = {1, 0, 1, 0};
        // batch of 2, 2 channels, 1 position: sample 0 equal -> 0; sample 1 orthogonal -> 2
        FloatTensor t = new FloatTensor(2, 2, 1, 1, teacher);
        FloatTensor s = new FloatTensor(2, 2, 1, 1, student);
        assertEquals(0f, StfpmAnomalyMap.normalizedSquaredDistance(t, s, 0)[0], 1e-6f);
        assertEquals(2f, StfpmAnomalyMap.normalizedSquaredDistance(t, s, 1)[0], 1e-6f);
    }
}
