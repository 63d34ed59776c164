package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Anomaly maps as pictures, the same for the node's clients and the evaluation report. Values are normalized the
 * anomalib way with the product's pixel range, so 128 (0.5) is the decision boundary; the overlay blends a jet color
 * map over the input.
 */
public final class HeatmapImages {
    /** The grey a don't-care region is blended with, on the jet scale's 0..1. */
    private static final double GREY_VEIL = 0.5;
    /** ImageIO's PNG writer deflates at level 9 - round(9 x quality). */
    private static final float DEFLATE_LEVEL_1 = 8f / 9;

    private HeatmapImages() {}

    /** The map upsampled to {@code width} x {@code height}, normalized to 0..255. */
    public static byte[] normalizedGray(AnomalyMap map, ScoreCalibration calibration, int width, int height) {
        float[] values = Resampling.upsample(map.values(), map.width(), map.height(), width, height);
        byte[] gray = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            gray[i] = (byte) Math.round(calibration.normalizePixel(values[i]) * 255);
        }
        return gray;
    }

    public static BufferedImage gray(byte[] gray, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, width, height, gray);
        return image;
    }

    /**
     * The input at the heat map's size ({@link #backdrop}), half-blended with the jet color of each heat value; a
     * product's don't-care region ({@code dontCare} at the heat map's size, true where nothing counts; null: none)
     * greyed out: the image under a grey veil, no heat color.
     */
    public static BufferedImage overlay(byte[] heat, Pixels input, int width, int height, boolean[] dontCare) {
        float[][] planes = backdrop(input, width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[width * height];
        for (int i = 0; i < rgb.length; i++) {
            if (dontCare != null && dontCare[i]) {
                int gray = blend((planes[0][i] + planes[1][i] + planes[2][i]) / 3, GREY_VEIL);
                rgb[i] = (gray << 16) | (gray << 8) | gray;
                continue;
            }
            double v = (heat[i] & 0xff) / 255.0;
            int r = blend(planes[0][i], jet(v - 0.25));
            int g = blend(planes[1][i], jet(v));
            int b = blend(planes[2][i], jet(v + 0.25));
            rgb[i] = (r << 16) | (g << 8) | b;
        }
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /**
     * The input's red, green and blue planes at {@code width} x {@code height}, 0..255: Pillow's bilinear resize where
     * the input is smaller, else its pixels as {@link #shrunk} leaves them (the mean of each cell).
     */
    static float[][] backdrop(Pixels input, int width, int height) {
        int colors = input.channels() == 1 ? 1 : 3;
        float[][] planes = new float[3][];
        if (width > input.width() || height > input.height()) {
            for (int c = 0; c < colors; c++) {
                planes[c] = Resampling.resizeImage(input.plane(c), input.width(), input.height(), width, height);
            }
        } else {
            Pixels cells = shrunk(input, width, height);
            for (int c = 0; c < colors; c++) {
                planes[c] = cells.plane(c);
            }
        }
        for (int c = colors; c < 3; c++) {
            planes[c] = planes[0];
        }
        return planes;
    }

    /**
     * A camera frame shrunk to {@code width} x {@code height} for a heat map to lie over: each pixel the rounded mean
     * of the frame's pixels in its cell, read from the decoded bytes once (Pillow's filter over float planes of each
     * color took about 60 ms of a 12 MP frame), in RGB order. The frame itself where it is not larger on both axes
     * (an overlay then resizes it).
     */
    static Pixels shrunk(Pixels input, int width, int height) {
        if (width > input.width() || height > input.height()
                || width == input.width() && height == input.height()) {
            return input;
        }
        int colors = input.channels() == 1 ? 1 : 3;
        long[] sources = input.channelSources();
        int[] cellStart = new int[width + 1];
        for (int x = 0; x <= width; x++) {
            cellStart[x] = (int) ((long) x * input.width() / width);
        }
        byte[] cells = new byte[colors * width * height];
        long[] sums = new long[colors * width];
        byte[] data = input.data();
        for (int y = 0; y < height; y++) {
            int top = (int) ((long) y * input.height() / height);
            int bottom = (int) ((long) (y + 1) * input.height() / height);
            Arrays.fill(sums, 0);
            for (int sy = top; sy < bottom; sy++) {
                int row = sy * input.width() * input.channels();
                for (int x = 0; x < width; x++) {
                    for (int sx = cellStart[x]; sx < cellStart[x + 1]; sx++) {
                        int p = row + sx * input.channels();
                        for (int c = 0; c < colors; c++) {
                            sums[colors * x + c] += data[p + (int) sources[c]] & 0xff;
                        }
                    }
                }
            }
            for (int x = 0; x < width; x++) {
                long cell = (long) (cellStart[x + 1] - cellStart[x]) * (bottom - top);
                for (int c = 0; c < colors; c++) {
                    cells[colors * (y * width + x) + c] = (byte) ((sums[colors * x + c] + cell / 2) / cell);
                }
            }
        }
        return new Pixels(width, height, colors, cells);
    }

    /**
     * The image as a PNG, deflated at level 1: a quarter less time than ImageIO's default level 4 (a 1024 x 512
     * overlay 64 -> 49 ms, a kept 12 MP gray frame 334 -> 239 ms) for files within a few percent of its size.
     */
    public static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        // in memory: ImageIO's default cache would write every PNG through a temporary file first
        try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam fastest = writer.getDefaultWriteParam();
            fastest.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            fastest.setCompressionQuality(DEFLATE_LEVEL_1);
            writer.write(null, new IIOImage(image, null, null), fastest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static int blend(float base, double color) {
        return (int) Math.round(0.5 * base + 0.5 * 255 * color);
    }

    /** One channel of the jet color map: red is the green curve shifted by -0.25, blue by +0.25. */
    private static double jet(double v) {
        return Math.max(0, Math.min(1, 1.5 - Math.abs(4 * (v - 0.5))));
    }
}
