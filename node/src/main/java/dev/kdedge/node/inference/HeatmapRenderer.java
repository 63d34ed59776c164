package dev.kdedge.node.inference;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Heatmap;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Turns an anomaly map into the heatmap format and size a client asked for. */
final class HeatmapRenderer {
    static final int MAX_SIDE = 4096;

    private HeatmapRenderer() {}

    static Heatmap render(AnomalyMap map, ScoreCalibration calibration, Pixels input, HeatmapOptions options) {
        int width = options.getWidth() == 0 ? map.width() : options.getWidth();
        int height = options.getHeight() == 0 ? map.height() : options.getHeight();
        byte[] data = switch (options.getFormat()) {
            case RAW_UINT8 -> HeatmapImages.normalizedGray(map, calibration, width, height);
            case PNG_GRAY -> HeatmapImages.png(
                    HeatmapImages.gray(HeatmapImages.normalizedGray(map, calibration, width, height), width, height));
            case PNG_OVERLAY -> HeatmapImages.png(HeatmapImages.overlay(
                    HeatmapImages.normalizedGray(map, calibration, width, height), input, width, height));
            case RAW_FLOAT32 -> littleEndian(Resampling.upsample(map.values(), map.width(), map.height(), width, height));
            default -> throw new IllegalArgumentException("no heatmap format requested");
        };
        return Heatmap.newBuilder().setFormat(options.getFormat()).setWidth(width).setHeight(height)
                .setData(ByteString.copyFrom(data)).build();
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }
}
