package dev.kdedge.calibration.synthetic;

import java.util.Random;

/**
 * One attempt at painting a defect: the image as it was, the pixels being painted, and the painted region. A defect
 * is placed anywhere on the image, or, where the product leaves a region out, centred on a pixel that is inspected:
 * drawn anywhere, most defects on a product that inspects a tenth of its frame would land where they do not count.
 */
final class Canvas {
    private final int[] source;
    private final int[] painted;
    private final int width;
    private final int height;
    private final Random random;
    private final int[] inspected;
    private final boolean[] region;

    /** @param inspected the indices of the pixels that count, or null where all do */
    Canvas(int[] source, int[] painted, int width, int height, Random random, int[] inspected) {
        this.source = source;
        this.painted = painted;
        this.width = width;
        this.height = height;
        this.random = random;
        this.inspected = inspected;
        this.region = new boolean[width * height];
    }

    /** A {@code side}-sized rectangle of the image (aspect 1:3 to 3:1) from elsewhere, brightness shifted. */
    boolean[] cutPaste(int side) {
        double aspect = Math.exp((random.nextDouble() * 2 - 1) * Math.log(3));
        int w = clamp((int) Math.round(side * Math.sqrt(aspect)), 2, width - 1);
        int h = clamp((int) Math.round(side / Math.sqrt(aspect)), 2, height - 1);
        int fromX = random.nextInt(width - w + 1);
        int fromY = random.nextInt(height - h + 1);
        int toX;
        int toY;
        if (inspected == null) {
            toX = random.nextInt(width - w + 1);
            toY = random.nextInt(height - h + 1);
        } else {
            int centre = inspectedPixel();
            toX = clamp(centre % width - w / 2, 0, width - w);
            toY = clamp(centre / width - h / 2, 0, height - h);
        }
        int shift = brightnessShift();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                paint(toX + x, toY + y, shifted(source[(fromY + y) * width + fromX + x], shift));
            }
        }
        return region;
    }

    /** A strip {@code side} long, 2 to 6% of it wide, at any angle, of the image from elsewhere, brightness shifted. */
    boolean[] scar(int side) {
        double angle = random.nextDouble() * Math.PI;
        double halfLength = side / 2.0;
        double halfWidth = Math.max(1.0, side * (0.02 + random.nextDouble() * 0.04));
        double[] centre = centre(halfLength, halfLength);
        double cx = centre[0];
        double cy = centre[1];
        int offsetX = random.nextInt(width) - width / 2;
        int offsetY = random.nextInt(height) - height / 2;
        int shift = brightnessShift();
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double along = (x - cx) * cos + (y - cy) * sin;
                double across = -(x - cx) * sin + (y - cy) * cos;
                if (Math.abs(along) <= halfLength && Math.abs(across) <= halfWidth) {
                    int fromX = Math.floorMod(x + offsetX, width);
                    int fromY = Math.floorMod(y + offsetY, height);
                    paint(x, y, shifted(source[fromY * width + fromX], shift));
                }
            }
        }
        return region;
    }

    /** An ellipse with Gaussian noise of 20 to 50 grey levels added. */
    boolean[] noise(int side) {
        double sigma = 20 + random.nextDouble() * 30;
        ellipse(side, (x, y, weight) -> {
            int rgb = source[y * width + x];
            int n = (int) Math.round(random.nextGaussian() * sigma * weight);
            return shifted(rgb, n);
        });
        return region;
    }

    /** An ellipse 40 to 90 grey levels darker or brighter in its middle, fading to nothing at its edge. */
    boolean[] spot(int side) {
        int depth = (40 + random.nextInt(51)) * (random.nextBoolean() ? 1 : -1);
        ellipse(side, (x, y, weight) -> shifted(source[y * width + x], (int) Math.round(depth * weight)));
        return region;
    }

    private interface Shade {
        /** @param weight 1 at the ellipse's middle to 0 at its edge */
        int at(int x, int y, double weight);
    }

    private void ellipse(int side, Shade shade) {
        double aspect = Math.exp((random.nextDouble() * 2 - 1) * Math.log(2));
        double rx = Math.max(1, side * Math.sqrt(aspect) / 2);
        double ry = Math.max(1, side / Math.sqrt(aspect) / 2);
        double[] centre = centre(rx, ry);
        double cx = centre[0];
        double cy = centre[1];
        for (int y = Math.max(0, (int) (cy - ry)); y <= Math.min(height - 1, (int) (cy + ry)); y++) {
            for (int x = Math.max(0, (int) (cx - rx)); x <= Math.min(width - 1, (int) (cx + rx)); x++) {
                double d = Math.hypot((x - cx) / rx, (y - cy) / ry);
                if (d <= 1) {
                    paint(x, y, shade.at(x, y, Math.min(1, 2 * (1 - d))));
                }
            }
        }
    }

    /** A shape's centre, {x, y}: where it fits on the image whole, or an inspected pixel's centre. */
    private double[] centre(double halfWidth, double halfHeight) {
        if (inspected == null) {
            double x = halfWidth + random.nextDouble() * Math.max(1, width - 2 * halfWidth);
            return new double[] {x, halfHeight + random.nextDouble() * Math.max(1, height - 2 * halfHeight)};
        }
        int pixel = inspectedPixel();
        return new double[] {pixel % width + 0.5, pixel / width + 0.5};
    }

    private int inspectedPixel() {
        return inspected[random.nextInt(inspected.length)];
    }

    private int brightnessShift() {
        return (15 + random.nextInt(36)) * (random.nextBoolean() ? 1 : -1);
    }

    private void paint(int x, int y, int rgb) {
        painted[y * width + x] = rgb;
        region[y * width + x] = true;
    }

    private static int shifted(int rgb, int shift) {
        int r = clamp(((rgb >> 16) & 0xFF) + shift, 0, 255);
        int g = clamp(((rgb >> 8) & 0xFF) + shift, 0, 255);
        int b = clamp((rgb & 0xFF) + shift, 0, 255);
        return (r << 16) | (g << 8) | b;
    }

    private static int clamp(int value, int min, int max) {
        return Math.max(min, Math.min(max, value));
    }
}
