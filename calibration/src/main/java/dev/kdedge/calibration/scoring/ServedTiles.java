package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.image.TileLayout;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.tensor.Extent;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiled product's served graph around its networks: the working image cut into its tiles, which the teacher, the
 * student and the method's map run on as one batch, and their maps stitched back as {@link TileLayout#stitch} does.
 * The batch holds each image's tiles in turn (image 0's tiles, then image 1's), so any batch of images runs.
 */
final class ServedTiles {
    private ServedTiles() {}

    /** The tiles of every image of {@code images} ([N, 3, H, W]) as one batch, [N x tiles, 3, h, w]. */
    static String cut(OnnxOps ops, String images, TileLayout layout) {
        Extent tile = layout.tile();
        List<String> tiles = new ArrayList<>(layout.count());
        for (int t = 0; t < layout.count(); t++) {
            tiles.add(ops.slice(images, new long[] {2, 3}, new long[] {layout.y(t), layout.x(t)},
                    new long[] {layout.y(t) + tile.height(), layout.x(t) + tile.width()}));
        }
        // joined along channels, each image's tiles side by side, then unfolded into the batch axis
        return ops.reshape(ops.concat(1, tiles), -1, 3, tile.height(), tile.width());
    }

    /**
     * The image's map stitched from its tiles' maps, and its score: the stitched map's maximum where the method scores
     * by its map's maximum, else the largest of its tiles' own scores. Each row of tiles is summed across the image's
     * width before the rows are summed down it, so no more than a row's tiles or the rows are padded to full size at
     * once.
     */
    static ServedMap stitch(OnnxOps ops, ServedMap tiles, TileLayout layout, boolean scoresByMapMaximum) {
        Extent tile = layout.tile();
        Extent image = layout.image();
        int count = layout.count();
        String perImage = ops.reshape(tiles.map(), -1, count, tile.height(), tile.width());
        String weights = ops.plane(layout.weights(), tile);
        List<String> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            String weighted = ops.mul(ops.slice(perImage, new long[] {1}, new long[] {t}, new long[] {t + 1}),
                    weights);
            int x = layout.x(t);
            row.add(ops.padWithZeros(weighted, 0, 0, 0, x, 0, 0, 0, image.width() - x - tile.width()));
            if (t + 1 == count || layout.y(t + 1) != layout.y(t)) {
                int y = layout.y(t);
                rows.add(ops.padWithZeros(ops.sum(row), 0, 0, y, 0, 0, 0, image.height() - y - tile.height(), 0));
                row.clear();
            }
        }
        String map = ops.mul(ops.sum(rows), ops.plane(layout.inverseWeightSums(), image));
        String score = scoresByMapMaximum ? ops.reduceMax(map, true, 1, 2, 3)
                : ops.reshape(ops.reduceMax(ops.reshape(tiles.score(), -1, count), true, 1), -1, 1, 1, 1);
        return new ServedMap(map, score);
    }
}
