package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntBinaryOperator;
import org.junit.jupiter.api.Test;

class TilingTest {
    @Test
    void tilesCoverTheImageEdgeToEdgeSharingAtLeastTheOverlap() {
        TileLayout layout = new Tiling(256, 256, 32).layout(new Extent(1024, 416));
        // across: 1 + ceil(768 / 224) = 5 tiles, 192 px apart; down: 1 + ceil(160 / 224) = 2, 160 apart
        assertEquals(10, layout.count());
        List<Integer> columns = new ArrayList<>();
        for (int t = 0; t < 5; t++) {
            columns.add(layout.x(t));
            assertEquals(0, layout.y(t), "the first row of tiles");
        }
        assertEquals(List.of(0, 192, 384, 576, 768), columns);
        assertEquals(160, layout.y(5), "the second row ends at the image's bottom edge");
        assertEquals(0, layout.x(5));

        TileLayout uneven = new Tiling(64, 64, 16).layout(new Extent(150, 64));
        assertEquals(3, uneven.count());
        assertEquals(List.of(0, 43, 86), List.of(uneven.x(0), uneven.x(1), uneven.x(2)));
        assertEquals(150, uneven.x(2) + 64, "the last tile ends at the edge");
    }

    @Test
    void cuttingAndStitchingGivesTheImageBack() {
        Extent image = new Extent(150, 70);
        TileLayout layout = new Tiling(64, 48, 16).layout(image);
        float[] values = new float[2 * image.area()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i * 0.37);
        }
        FloatTensor whole = new FloatTensor(1, 2, image.height(), image.width(), values);
        List<FloatTensor> tiles = layout.cut(whole);
        assertEquals(layout.count(), tiles.size());
        for (int t = 0; t < tiles.size(); t++) {
            assertArrayEquals(tiles.get(t).data(), layout.cut(whole, t).data(), "tile " + t + " cut alone");
        }
        for (int c = 0; c < 2; c++) {
            int channel = c;
            float[] stitched = layout.stitch(tiles.stream().map(tile -> plane(tile, channel)).toList());
            for (int i = 0; i < image.area(); i++) {
                assertEquals(values[c * image.area() + i], stitched[i], 1e-6, "channel " + c + " pixel " + i);
            }
        }
    }

    @Test
    void tilesThatDisagreeBlendAcrossTheOverlapWithoutASeam() {
        Extent image = new Extent(112, 64);
        TileLayout layout = new Tiling(64, 64, 16).layout(image);
        assertEquals(List.of(0, 48), List.of(layout.x(0), layout.x(1)), "16 px shared");
        float[] stitched = layout.stitch(List.of(filled(64 * 64, 1), filled(64 * 64, 0)));
        IntBinaryOperator row = (y, x) -> y * image.width() + x;
        for (int y = 0; y < image.height(); y++) {
            assertEquals(1f, stitched[row.applyAsInt(y, 47)], 1e-6, "tile 0 alone left of the overlap");
            assertEquals(0f, stitched[row.applyAsInt(y, 64)], 1e-6, "tile 1 alone right of it");
            for (int x = 48; x < 64; x++) {
                float step = stitched[row.applyAsInt(y, x - 1)] - stitched[row.applyAsInt(y, x)];
                assertTrue(step >= 0 && step <= 1f / 8, "falls gradually across the overlap: " + step + " at " + x);
            }
        }
    }

    @Test
    void theWholeImageIsOneTileAndPassesUnchanged() {
        TileLayout whole = TileLayout.whole(new Extent(96, 64));
        assertTrue(whole.isWhole());
        FloatTensor image = new FloatTensor(1, 1, 64, 96, filled(96 * 64, 3));
        assertEquals(List.of(image), whole.cut(image));
        assertArrayEquals(filled(96 * 64, 3), whole.stitch(List.of(filled(96 * 64, 3))));
        assertEquals(new Extent(96, 64), Preprocessing.imagenet(new Extent(96, 64)).networkInput());
    }

    @Test
    void tilingsThatCannotWorkAreRefusedSayingWhy() {
        assertMessage(() -> Preprocessing.imagenet(new Extent(128, 64)).tiled(new Tiling(96, 96, 16)),
                "tiles of 96 px do not fit in the working image of 128x64 px");
        assertMessage(() -> new Tiling(64, 64, 40), "a tile overlap must be 0 to half the shorter tile side (32 px)");
        assertMessage(() -> new Tiling(16, 64, 0), "tile sides must be at least 32 px, were 16x64");
        assertMessage(() -> Preprocessing.imagenet(new Extent(1024, 1024)).tiled(new Tiling(64, 64, 32)),
                "cut a working image of 1024 px into 961 tiles; at most 64 run as one batch");
    }

    private static void assertMessage(Runnable refused, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, refused::run);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private static float[] plane(FloatTensor tile, int channel) {
        int size = tile.height() * tile.width();
        float[] plane = new float[size];
        System.arraycopy(tile.data(), channel * size, plane, 0, size);
        return plane;
    }

    private static float[] filled(int length, float value) {
        float[] values = new float[length];
        Arrays.fill(values, value);
        return values;
    }
}
