package dev.kdedge.cli.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Draws a defect's ground-truth mask as an outline over a gallery picture, so a missed defect shows where it was
 * (its overlay alone is dark there). The mask is scaled to the picture (nearest pixel): the picture may be the
 * method's input size or the image's own.
 */
public final class GroundTruthOutline {
    /** Bright green: apart from the heat map's blue-to-red and from grey parts. */
    public static final int COLOUR = 0x00FF40;

    private GroundTruthOutline() {}

    /**
     * @return the picture with the outline of the mask's non-zero pixels, as PNG
     * @throws IOException when the picture or the mask cannot be read
     */
    public static byte[] drawn(byte[] picturePng, Path mask) throws IOException {
        BufferedImage picture = ImageIO.read(new ByteArrayInputStream(picturePng));
        BufferedImage maskImage = ImageIO.read(mask.toFile());
        if (picture == null || maskImage == null) {
            throw new IOException("cannot read " + (picture == null ? "the gallery picture" : "mask " + mask));
        }
        int width = picture.getWidth();
        int height = picture.getHeight();
        boolean[] inside = new boolean[width * height];
        for (int y = 0; y < height; y++) {
            int my = (int) ((y + 0.5) * maskImage.getHeight() / height);
            for (int x = 0; x < width; x++) {
                int mx = (int) ((x + 0.5) * maskImage.getWidth() / width);
                inside[y * width + x] = (maskImage.getRGB(mx, my) & 0xFFFFFF) != 0;
            }
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        // a line of about 1/128 of the picture's side, at least one pixel, stays visible in a 200 px thumbnail
        int thickness = Math.max(1, Math.max(width, height) / 128);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out.setRGB(x, y, onEdge(inside, width, height, x, y, thickness) ? COLOUR : picture.getRGB(x, y));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(out, "png", png);
        return png.toByteArray();
    }

    /** Inside the mask, within {@code thickness} pixels of a pixel outside it (or of the picture's edge). */
    private static boolean onEdge(boolean[] inside, int width, int height, int x, int y, int thickness) {
        if (!inside[y * width + x]) {
            return false;
        }
        for (int dy = -thickness; dy <= thickness; dy++) {
            for (int dx = -thickness; dx <= thickness; dx++) {
                int nx = x + dx;
                int ny = y + dy;
                if (nx < 0 || ny < 0 || nx >= width || ny >= height || !inside[ny * width + nx]) {
                    return true;
                }
            }
        }
        return false;
    }
}
