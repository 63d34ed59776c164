package dev.kdedge.node.inspection;

/**
 * The heatmap a client wants with its verdict: a format ({@link Format#NONE}: none) and a size in pixels, 0 for the
 * model's own (sizes as sent, up to 2^32 - 1, checked by {@link InspectionRequest#validate}).
 */
public record HeatmapWish(Format format, long width, long height) {
    public static final HeatmapWish NONE = new HeatmapWish(Format.NONE, 0, 0);
    /** The largest side a heatmap may have. */
    public static final int MAX_SIDE = 4096;

    public enum Format {
        NONE,
        /** 8-bit gray PNG, 128 the threshold. */
        PNG_GRAY,
        /** The jet colour map over the input, as PNG. */
        PNG_OVERLAY,
        /** 8-bit gray bytes, row by row. */
        RAW_UINT8,
        /** The map's own values on the raw-score scale, little-endian floats. */
        RAW_FLOAT32
    }

    public HeatmapWish withFormat(Format other) {
        return new HeatmapWish(other, width, height);
    }
}
