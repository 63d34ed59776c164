package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class ResamplingTest {
    @Test
    void upsampleMatchesPytorchBilinearWithoutAlignCorners() {
        // F.interpolate([[0,1],[2,3]], size=4, mode="bilinear", align_corners=False)
        float[] expected = {
            0f, 0.25f, 0.75f, 1f,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2f, 2.25f, 2.75f, 3f};
        assertArrayEquals(expected, Resampling.upsample(new float[] {0, 1, 2, 3}, 2, 2, 4, 4), 1e-6f);
    }

    @Test
    void upsampleAlignCornersMatchesPytorchBilinearWithAlignCorners() {
        // F.interpolate([[0,1],[2,3]], size=4, mode="bilinear", align_corners=True): sample points 0, 1/3, 2/3, 1
        float t = 1f / 3;
        float[] expected = {
            0f, t, 2 * t, 1f,
            2 * t, 1f, 1 + t, 1 + 2 * t,
            1 + t, 1 + 2 * t, 2f, 2 + t,
            2f, 2 + t, 2 + 2 * t, 3f};
        assertArrayEquals(expected, Resampling.upsampleAlignCorners(new float[] {0, 1, 2, 3}, 2, 2, 4, 4), 1e-6f);
    }

    @Test
    void downscaleUsesPillowsWidenedTriangleFilter() {
        // Pillow: Image.resize((2,1), BILINEAR) of [0,0,255,255]: weights (.75,.75,.25)/1.75 and (.25,.75,.75)/1.75
        assertArrayEquals(new float[] {36, 219}, Resampling.resizeImage(new float[] {0, 0, 255, 255}, 4, 1, 2, 1), 0f);
    }

    @Test
    void sameSizeResizeIsIdentity() {
        float[] plane = {10, 20, 30, 40, 50, 60};
        assertArrayEquals(plane, Resampling.resizeImage(plane, 3, 2, 3, 2), 0f);
    }

    /**
     * A column of 12 million pixels resized to 256 x 256 the way Pillow orders the passes would hold 256 x 12 million
     * floats (12 GB, beyond this JVM's heap) between them; it goes vertical pass first, and gives exactly the transpose
     * of the same row resized.
     */
    @Test
    void aFarTallerThanWideImageResizesInMemoryOfItsOwnSize() {
        int height = 12_000_000;
        float[] column = new float[height];
        for (int y = 0; y < height; y++) {
            column[y] = (y / 1000) % 256;
        }
        float[] tall = Resampling.resizeImage(column, 1, height, 256, 256);
        float[] wide = Resampling.resizeImage(column, height, 1, 256, 256);
        float[] transposed = new float[256 * 256];
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                transposed[y * 256 + x] = wide[x * 256 + y];
            }
        }
        assertArrayEquals(transposed, tall, 0f);
    }
}
