package dev.kdedge.calibration.demo;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * Grayscale images of a textured surface for the demo product: woven stripes with per-image jitter and sensor noise.
 * A defective tile carries a dark scratch (8 px wide, 0.4 of the side long). Deterministic for a given seed.
 */
public final class SyntheticTiles {
    private final int size;

    public SyntheticTiles(int size) {
        this.size = size;
    }

    /** A defective tile and its ground-truth mask (255 on the scratch, 0 elsewhere), MVTec style. */
    public record Defect(BufferedImage image, BufferedImage mask) {}

    public BufferedImage normal(long seed) {
        return render(new Random(seed), null);
    }

    public Defect defective(long seed) {
        BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        return new Defect(render(new Random(seed), mask), mask);
    }

    /**
     * Two images of one height side by side, as one frame twice as wide as tall: a line camera's product, made of
     * tiles (and of their masks).
     */
    public static BufferedImage sideBySide(BufferedImage left, BufferedImage right) {
        BufferedImage both = new BufferedImage(left.getWidth() + right.getWidth(), left.getHeight(), left.getType());
        Graphics2D g = both.createGraphics();
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, left.getWidth(), 0, null);
        g.dispose();
        return both;
    }

    /** @param scratchMask where to draw a scratch's mask, or null for a normal tile */
    private BufferedImage render(Random random, BufferedImage scratchMask) {
        boolean scratch = scratchMask != null;
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        double phaseX = random.nextDouble() * 2 * Math.PI;
        double phaseY = random.nextDouble() * 2 * Math.PI;
        double brightness = 128 + random.nextGaussian() * 6;
        double x0 = size * (0.25 + 0.5 * random.nextDouble());
        double y0 = size * (0.25 + 0.5 * random.nextDouble());
        double angle = random.nextDouble() * Math.PI;
        double length = size * 0.4;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double v = brightness + 40 * Math.sin(2 * Math.PI * x / 8.0 + phaseX) * Math.sin(2 * Math.PI * y / 8.0 + phaseY)
                        + random.nextGaussian() * 4;
                if (scratch) {
                    double dx = x - x0;
                    double dy = y - y0;
                    double along = dx * Math.cos(angle) + dy * Math.sin(angle);
                    double across = -dx * Math.sin(angle) + dy * Math.cos(angle);
                    if (Math.abs(along) < length / 2 && Math.abs(across) < 4) {
                        v = 25 + random.nextGaussian() * 4;
                        scratchMask.getRaster().setSample(x, y, 0, 255);
                    }
                }
                image.getRaster().setSample(x, y, 0, (int) Math.max(0, Math.min(255, Math.round(v))));
            }
        }
        return image;
    }
}
