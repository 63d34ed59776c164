package dev.kdedge.calibration.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Resampling;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.imageio.ImageIO;
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

    @Test
    void pngsAreDeflatedForSpeedAndDecodeToTheImage() throws Exception {
        BufferedImage image = new BufferedImage(64, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 64; x++) {
            image.getRaster().setSample(x, x % 32, 0, 4 * x);
        }
        byte[] png = HeatmapImages.png(image);
        // the first IDAT chunk's zlib header: FLEVEL (its top two bits of FLG) 0 is "fastest", deflate level 0 or 1
        int idat = indexOf(png, "IDAT".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, (png[idat + 5] & 0xff) >> 6, "FLEVEL");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertArrayEquals(image.getRaster().getPixels(0, 0, 64, 32, (int[]) null),
                decoded.getRaster().getPixels(0, 0, 64, 32, (int[]) null));
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("no " + new String(part, StandardCharsets.US_ASCII));
    }
}
