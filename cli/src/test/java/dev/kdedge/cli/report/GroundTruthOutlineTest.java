package dev.kdedge.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroundTruthOutlineTest {
    private static final int GREY = 0x808080;

    @TempDir
    Path dir;

    /** A mask at twice the picture's size: its square is outlined where it falls on the picture, inside left as is. */
    @Test
    void theMaskIsOutlinedAtThePicturesScale() throws Exception {
        BufferedImage mask = new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 32; y < 96; y++) {
            for (int x = 32; x < 96; x++) {
                mask.getRaster().setSample(x, y, 0, 255);
            }
        }
        Path maskFile = dir.resolve("000_mask.png");
        ImageIO.write(mask, "png", maskFile.toFile());

        BufferedImage drawn = ImageIO.read(new ByteArrayInputStream(GroundTruthOutline.drawn(grey(64, 64), maskFile)));
        assertEquals(64, drawn.getWidth());
        assertEquals(GroundTruthOutline.COLOUR, rgb(drawn, 16, 30), "the square's left edge, at half scale");
        assertEquals(GroundTruthOutline.COLOUR, rgb(drawn, 47, 47), "its corner");
        assertEquals(GREY, rgb(drawn, 32, 32), "inside the defect the heat map stays visible");
        assertEquals(GREY, rgb(drawn, 15, 30), "outside it, nothing is drawn");
        assertEquals(GREY, rgb(drawn, 5, 5));
    }

    @Test
    void anEmptyMaskDrawsNothingAndAnUnreadableOneIsNamed() throws Exception {
        Path empty = dir.resolve("empty_mask.png");
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY), "png", empty.toFile());
        BufferedImage drawn = ImageIO.read(new ByteArrayInputStream(GroundTruthOutline.drawn(grey(16, 16), empty)));
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                assertEquals(GREY, rgb(drawn, x, y));
            }
        }
        Path broken = Files.writeString(dir.resolve("broken_mask.png"), "not a png");
        IOException e = assertThrows(IOException.class, () -> GroundTruthOutline.drawn(grey(16, 16), broken));
        assertEquals("cannot read mask " + broken, e.getMessage());
    }

    private static byte[] grey(int width, int height) throws IOException {
        BufferedImage picture = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                picture.setRGB(x, y, GREY);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(picture, "png", png);
        return png.toByteArray();
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }
}
