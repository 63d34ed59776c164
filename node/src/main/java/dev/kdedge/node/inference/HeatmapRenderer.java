package dev.kdedge.node.inference;

import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.InspectionResult.RenderedHeatmap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/** Turns an anomaly map into the heatmap format and size a client asked for. */
final class HeatmapRenderer {
    private HeatmapRenderer() {}

    /**
     * @param wish a format other than NONE, sides within {@link HeatmapWish#MAX_SIDE} (0: the map's own)
     * @param dontCare the version's don't-care region, greyed out in an overlay (the map is zero there already)
     */
    static RenderedHeatmap render(AnomalyMap map, ScoreCalibration calibration, Pixels input, HeatmapWish wish,
            Optional<DontCareMask> dontCare) {
        int width = wish.width() == 0 ? map.width() : (int) wish.width();
        int height = wish.height() == 0 ? map.height() : (int) wish.height();
        byte[] data = switch (wish.format()) {
            case RAW_UINT8 -> HeatmapImages.normalizedGray(map, calibration, width, height);
            case PNG_GRAY -> HeatmapImages.png(
                    HeatmapImages.gray(HeatmapImages.normalizedGray(map, calibration, width, height), width, height));
            case PNG_OVERLAY -> HeatmapImages.png(HeatmapImages.overlay(
                    HeatmapImages.normalizedGray(map, calibration, width, height), input, width, height,
                    dontCare.map(mask -> mask.at(width, height)).orElse(null)));
            case RAW_FLOAT32 -> littleEndian(Resampling.upsample(map.values(), map.width(), map.height(), width, height));
            case NONE -> throw new IllegalArgumentException("no heatmap format requested");
        };
        return new RenderedHeatmap(wish.format(), width, height, data);
    }

    /** A rejected part's evidence: the heat at the map's size now, the frame shrunk to it and under it when drawn. */
    static InspectionResult.Evidence evidence(AnomalyMap map, ScoreCalibration calibration, Pixels input,
            Optional<DontCareMask> dontCare) {
        return new FrameEvidence(HeatmapImages.normalizedGray(map, calibration, map.width(), map.height()),
                map.width(), map.height(), input, dontCare);
    }

    private record FrameEvidence(byte[] heat, int width, int height, Pixels frame, Optional<DontCareMask> dontCare)
            implements InspectionResult.Evidence {
        @Override
        public RenderedHeatmap draw() {
            boolean[] greyed = dontCare.map(mask -> mask.at(width, height)).orElse(null);
            return new RenderedHeatmap(HeatmapWish.Format.PNG_OVERLAY, width, height,
                    HeatmapImages.png(HeatmapImages.overlay(heat, frame, width, height, greyed)));
        }

        @Override
        public long heldBytes() {
            return (long) frame.data().length + heat.length;
        }

        @Override
        public Optional<ImageInput> imageHeld(ImageInput image) {
            // the frame is the image's pixels decoded into an array: packed, in the image's channel order
            return image instanceof ImageInput.Raw raw && raw.lent()
                    ? Optional.of(new ImageInput.Raw(raw.format(), frame.width(), frame.height(), 0,
                            ByteBuffer.wrap(frame.data())))
                    : Optional.empty();
        }
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }
}
