package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A don't-care region written down as polygons, filled into the mask a version keeps. */
class DontCarePolygonsTest {
    @TempDir
    Path dir;

    @Test
    void polygonsCoverThePixelsWhoseCentresTheyEncloseTheirVerticesOnPixelCorners() throws Exception {
        DontCareMask mask = DontCareMask.read(write("region.json", """
                {"width": 64, "height": 48, "polygons": [
                    [[10, 20], [30, 20], [30, 40], [10, 40]],
                    [[40, 0], [64, 0], [64, 12]]
                ]}"""));
        assertEquals(64, mask.width());
        assertEquals(48, mask.height());
        boolean[] covered = mask.at(64, 48);
        int count = 0;
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                boolean rectangle = x >= 10 && x < 30 && y >= 20 && y < 40;
                // below the top edge and above the line from (40, 0) to (64, 12), at the pixel's centre
                boolean triangle = y + 0.5 < (x + 0.5 - 40) / 2;
                assertEquals(rectangle || triangle, covered[y * 64 + x], "pixel " + x + "," + y);
                count += covered[y * 64 + x] ? 1 : 0;
            }
        }
        assertEquals(400 + 144, count, "20 x 20 and the triangle's 144 pixels");
        // what a version keeps is a PNG, as though drawn
        byte[] drawing = DontCareMask.drawing(dir.resolve("region.json"));
        assertEquals(0x89, drawing[0] & 0xff);
        assertEquals(count, DontCareMask.of(drawing).coveredShare(64, 48) * 64 * 48, 1e-6);
    }

    @Test
    void whatIsNotARegionIsRefusedSayingWhy() throws Exception {
        String triangle = "[[0, 0], [10, 0], [10, 10]]";
        assertRefused("{\"width\": 64, \"height\": 48, \"polygons\": [[[0, 0], [10, 0]]]}",
                "polygon 1 has 2 points; a region needs at least 3");
        assertRefused("{\"width\": 64, \"height\": 48, \"polygons\": [" + triangle + ", [[0, 0], [70, 0], [5, 5]]]}",
                "polygon 2, point 2 (70.0, 0.0) is outside the 64x48 frame");
        assertRefused("{\"width\": 64, \"height\": 48, \"polygons\": [[[0, 0], [1], [1, 1]]]}",
                "polygon 1, point 2 is not [x, y]");
        assertRefused("{\"height\": 48, \"polygons\": [" + triangle + "]}",
                "width and height, the camera frame's size in pixels, must be at least 1");
        assertRefused("{\"width\": 20000, \"height\": 20000, \"polygons\": [" + triangle + "]}",
                "20000x20000 is larger than any camera frame (at most 100 megapixels)");
        assertRefused("{\"width\": 64, \"height\": 48, \"polygons\": []}", "no polygons");
        assertRefused("{\"width\": 64, \"height\": 48, \"polygon\": [" + triangle + "]}",
                "is not a don't-care region's polygons");
        assertRefused("width 64", "is not a don't-care region's polygons");
    }

    private void assertRefused(String json, String message) throws IOException {
        Path file = write("refused.json", json);
        IOException refused = assertThrows(IOException.class, () -> DontCareMask.read(file));
        assertTrue(refused.getMessage().startsWith(file.toString()), refused.getMessage());
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }
}
