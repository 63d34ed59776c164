package dev.kdedge.node.inspection;

import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.text.Echo;

/**
 * One image to inspect, as the node's core takes it whichever door it came through.
 *
 * @param version the version to score against, 0 for the active one (as sent, up to 2^32 - 1)
 * @param deadlineNanos {@link System#nanoTime()} after which the result is useless, or {@link #NO_DEADLINE}
 * @param client who asked (a certificate's subject, a connection): no client has more than its share of the queue
 * @param part the part the image shows, as the line names it
 * @param caller who asked, as the results journal records it: a certificate's subject, or the client's address
 */
public record InspectionRequest(String product, long version, ImageInput image, HeatmapWish heatmap,
        long deadlineNanos, Object client, Part part, String caller) {
    /** The deadline of a request that has none. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /**
     * Checks what the request means, before anything is decoded, with the same message whatever door it came through.
     *
     * @throws RejectedRequestException INVALID_ARGUMENT saying what is wrong, quoting what the client sent
     */
    public InspectionRequest validate() {
        if (product == null || product.isEmpty()) {
            throw invalid("product is required");
        }
        if (!ModelStore.PRODUCT_ID.matcher(product).matches()) {
            throw invalid("invalid product id " + Echo.quoted(product));
        }
        if (version < 0 || version > Integer.MAX_VALUE) {
            throw invalid("model_version " + version + " is out of range (0 for the active version, or 1.."
                    + Integer.MAX_VALUE + ")");
        }
        String partProblem = part.problem();
        if (partProblem != null) {
            throw invalid(partProblem);
        }
        if (image == null) {
            throw invalid("image is required (encoded PNG/JPEG bytes or raw pixels)");
        }
        if (image instanceof ImageInput.Raw raw) {
            try {
                RawImages.check(raw);
            } catch (InvalidImageException e) {
                throw invalid(e.getMessage());
            }
        }
        if (heatmap.width() > HeatmapWish.MAX_SIDE || heatmap.height() > HeatmapWish.MAX_SIDE) {
            throw invalid("heatmap size " + heatmap.width() + "x" + heatmap.height() + " exceeds "
                    + HeatmapWish.MAX_SIDE + " a side");
        }
        return this;
    }

    public InspectionRequest withProduct(String other) {
        return new InspectionRequest(other, version, image, heatmap, deadlineNanos, client, part, caller);
    }

    public InspectionRequest withHeatmap(HeatmapWish other) {
        return new InspectionRequest(product, version, image, other, deadlineNanos, client, part, caller);
    }

    private static RejectedRequestException invalid(String message) {
        return new RejectedRequestException(Rejection.INVALID_ARGUMENT, message);
    }
}
