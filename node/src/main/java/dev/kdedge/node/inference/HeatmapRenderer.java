package dev.kdedge.node.inference;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Heatmap;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Turns an anomaly map into what a client asked for. Values are normalized the anomalib way with the product's pixel
 * range, so 128 (0.5) is the decision boundary in every format; the overlay blends a jet color map over the input.
 */
final class HeatmapRenderer {
    static final int MAX_SIDE = 4096;

    private HeatmapRenderer() {}

    static Heatmap render(AnomalyMap map, ScoreCalibration calibration, Pixels input, HeatmapOptions options) {
        int width = options.getWidth() == 0 ? map.width() : options.getWidth();
        int height = options.getHeight() == 0 ? map.height() : options.getHeight();
        float[] values = Resampling.upsample(map.values(), map.width(), map.height(), width, height);
        byte[] gray = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            gray[i] = (byte) Math.round(calibration.normalizePixel(values[i]) * 255);
        }
        byte[] data = switch (options.getFormat()) {
            case RAW_UINT8 -> gray;
            case PNG_GRAY -> png(grayImage(gray, width, height));
            case PNG_OVERLAY -> png(overlay(gray, input, width, height));
            default -> throw new IllegalArgumentException("no heatmap format requested");
        };
        return Heatmap.newBuilder().setFormat(options.getFormat()).setWidth(width).setHeight(height)
                .setData(ByteString.copyFrom(data)).build();
    }

    private static BufferedImage grayImage(byte[] gray, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, width, height, gray);
        return image;
    }

    private static BufferedImage overlay(byte[] heat, Pixels input, int width, int height) {
        float[][] planes = new float[3][];
        for (int c = 0; c < 3; c++) {
            int source = input.channels() == 1 ? 0 : c;
            planes[c] = Resampling.resizeImage(input.plane(source), input.width(), input.height(), width, height);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[width * height];
        for (int i = 0; i < rgb.length; i++) {
            double v = (heat[i] & 0xff) / 255.0;
            int r = blend(planes[0][i], jet(v - 0.25));
            int g = blend(planes[1][i], jet(v));
            int b = blend(planes[2][i], jet(v + 0.25));
            rgb[i] = (r << 16) | (g << 8) | b;
        }
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    private static int blend(float base, double color) {
        return (int) Math.round(0.5 * base + 0.5 * 255 * color);
    }

    /** One channel of the jet color map: red is the green curve shifted by -0.25, blue by +0.25. */
    private static double jet(double v) {
        return Math.max(0, Math.min(1, 1.5 - Math.abs(4 * (v - 0.5))));
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
