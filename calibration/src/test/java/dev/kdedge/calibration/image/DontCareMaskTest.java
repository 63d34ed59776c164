package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.scoring.HeatmapImages;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** A don't-care mask as the engineer drew it, read at any grid's resolution as the drawn PNG's nearest pixels. */
class DontCareMaskTest {
    @Test
    void aMaskReadsAtAnyGridAsTheDrawnImagesNearestPixels() throws Exception {
        // white and red count as "does not count" (the red channel above 127), blue does not
        BufferedImage drawn = new BufferedImage(37, 23, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = drawn.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 9, 23);
        g.setColor(Color.RED);
        g.fillRect(20, 5, 11, 7);
        g.setColor(Color.BLUE);
        g.fillRect(30, 15, 7, 8);
        g.dispose();
        byte[] png = HeatmapImages.png(drawn);
        DontCareMask mask = DontCareMask.of(png);
        Pixels decoded = new ImageDecoder(1 << 20).decode(png);
        assertEquals(37, mask.width());
        assertEquals(23, mask.height());
        for (int[] grid : new int[][] {{37, 23}, {10, 7}, {80, 50}, {1, 1}, {256, 3}}) {
            assertArrayEquals(decoded.maskAt(grid[0], grid[1]), mask.at(grid[0], grid[1]), grid[0] + "x" + grid[1]);
        }
        assertEquals((9 * 23 + 11 * 7) / (37.0 * 23), mask.coveredShare(37, 23), 1e-12);
        assertTrue(mask.fits(74, 46));
        assertFalse(mask.fits(74, 40));
        assertTrue(mask.misfit(74, 40).contains("drawn on 37x23 frames"), mask.misfit(74, 40));
    }

    @Test
    void aJpegMaskIsRefused() throws Exception {
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY), "jpeg", jpeg);
        InvalidImageException refused = assertThrows(InvalidImageException.class,
                () -> DontCareMask.of(jpeg.toByteArray()));
        assertTrue(refused.getMessage().contains("must be a PNG"), refused.getMessage());
    }
}
