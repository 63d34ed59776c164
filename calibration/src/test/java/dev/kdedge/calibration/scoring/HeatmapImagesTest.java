package dev.kdedge.calibration.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Resampling;
import org.junit.jupiter.api.Test;

class HeatmapImagesTest {
    @Test
    void aShrunkBackdropIsEachCellsMeanInRedGreenBlueOrder() {
        // 4 x 2 BGR: the left 2 x 2 cell blue 0/40/80/120 (mean 60), green 10, red 200; the right cell blue 255,
        // green 0/0/0/100 (25), red 7/9/7/9 (8)
        byte[] bgr = new byte[4 * 2 * 3];
        int[][] pixels = {{0, 10, 200}, {40, 10, 200}, {255, 0, 7}, {255, 0, 9},
                {80, 10, 200}, {120, 10, 200}, {255, 0, 7}, {255, 100, 9}};
        for (int p = 0; p < pixels.length; p++) {
            for (int c = 0; c < 3; c++) {
                bgr[3 * p + c] = (byte) pixels[p][c];
            }
        }
        float[][] planes = HeatmapImages.backdrop(new Pixels(4, 2, 3, bgr, true), 2, 1);
        assertArrayEquals(new float[] {200, 8}, planes[0]);
        assertArrayEquals(new float[] {10, 25}, planes[1]);
        assertArrayEquals(new float[] {60, 255}, planes[2]);
    }

    @Test
    void aGrayBackdropIsOnePlaneForAllThreeColorsAndGrowsAsPillowDoes() {
        byte[] gray = {0, 100, (byte) 200, (byte) 250};
        float[][] shrunk = HeatmapImages.backdrop(new Pixels(2, 2, 1, gray), 1, 1);
        assertArrayEquals(new float[] {138}, shrunk[0], "137.5 rounded: the shrunk frame is kept as 8-bit pixels");
        assertSame(shrunk[0], shrunk[1]);
        assertSame(shrunk[0], shrunk[2]);
        Pixels small = new Pixels(2, 2, 1, gray);
        assertArrayEquals(Resampling.resizeImage(small.plane(0), 2, 2, 5, 3),
                HeatmapImages.backdrop(small, 5, 3)[0]);
        assertSame(small, HeatmapImages.shrunk(small, 2, 2), "a frame no larger than the map is kept as it is");
        assertSame(small, HeatmapImages.shrunk(small, 3, 1), "and one smaller on an axis, which the overlay resizes");
    }
}
