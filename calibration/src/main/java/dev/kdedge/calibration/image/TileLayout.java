package dev.kdedge.calibration.image;

import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/**
 * The tiles of one image size ({@link Tiling#layout}), or the image as its one tile where a product is not tiled: where
 * each starts, how a batch of images is cut into them and how their maps are stitched back. Tiles are numbered row by
 * row. Stitching weighs each tile's map by a plane that ramps from near zero at the tile's edges to one, over the
 * overlap, and divides by the weights' sum: where tiles overlap the map passes smoothly from one to the next (a tile's
 * border, where its features saw padding, counts least), and where one tile covers a pixel its value is kept. The
 * served graph computes the same ({@code ServedTiles}), a row of tiles at a time, so the two agree to rounding.
 */
public final class TileLayout {
    private final Extent image;
    private final Extent tile;
    private final int[] columns;
    private final int[] rows;
    private final int overlap;
    /** Computed when first stitched with: a layout read for its tiles' size and places needs none (a pass per pixel). */
    private volatile Planes planes;

    /** A tile-sized plane of weights and an image-sized plane of one over their sums; empty where the image is whole. */
    private record Planes(float[] weights, float[] inverseWeightSums) {}

    TileLayout(Extent image, Extent tile, int[] columns, int[] rows, int overlap) {
        this.image = image;
        this.tile = tile;
        this.columns = columns;
        this.rows = rows;
        this.overlap = overlap;
    }

    /** The image as its one tile: what a product that is not tiled runs. */
    public static TileLayout whole(Extent image) {
        return new TileLayout(image, image, new int[] {0}, new int[] {0}, 0);
    }

    public Extent image() {
        return image;
    }

    public Extent tile() {
        return tile;
    }

    public int count() {
        return columns.length * rows.length;
    }

    /** Whether the image is its one tile, and nothing is cut or stitched. */
    public boolean isWhole() {
        return tile.equals(image);
    }

    /** Where tile {@code index} starts across the image, in its pixels. */
    public int x(int index) {
        return columns[index % columns.length];
    }

    /** Where tile {@code index} starts down the image, in its pixels. */
    public int y(int index) {
        return rows[index / columns.length];
    }

    /** The weight of each pixel of a tile's map, a tile-sized plane, row-major (none where the image is whole). */
    public float[] weights() {
        return planes().weights().clone();
    }

    /** One over the sum of the weights that fall on each pixel of the image, an image-sized plane (none if whole). */
    public float[] inverseWeightSums() {
        return planes().inverseWeightSums().clone();
    }

    private Planes planes() {
        Planes computed = planes;
        if (computed == null) {
            if (isWhole()) {
                computed = new Planes(new float[0], new float[0]);
            } else {
                // tiles that share nothing keep their values (the ramp's one pixel is all 0.5, and divided out)
                float[] weights = weights(tile, Math.max(1, overlap));
                computed = new Planes(weights, inverseSums(weights));
            }
            planes = computed;
        }
        return computed;
    }

    /** The tiles of {@code image} ([1, C, H, W] at this layout's image size), in order, each [1, C, h, w]. */
    public List<FloatTensor> cut(FloatTensor image) {
        requireImageSize(image);
        if (isWhole()) {
            return List.of(image);
        }
        List<FloatTensor> tiles = new ArrayList<>(count());
        for (int t = 0; t < count(); t++) {
            tiles.add(tile(image, t));
        }
        return tiles;
    }

    /** Tile {@code index} of {@code image}, alone. */
    public FloatTensor cut(FloatTensor image, int index) {
        requireImageSize(image);
        if (index < 0 || index >= count()) {
            throw new IndexOutOfBoundsException("tile " + index + " of a layout of " + count());
        }
        return isWhole() ? image : tile(image, index);
    }

    private void requireImageSize(FloatTensor image) {
        if (!image.spatialSize().equals(this.image) || image.batch() != 1) {
            throw new IllegalArgumentException("an image of " + image.spatialSize() + " px (batch " + image.batch()
                    + ") cut by a layout for " + this.image + " px");
        }
    }

    private FloatTensor tile(FloatTensor image, int index) {
        int channels = image.channels();
        float[] source = image.data();
        float[] data = new float[channels * tile.area()];
        for (int c = 0; c < channels; c++) {
            for (int row = 0; row < tile.height(); row++) {
                System.arraycopy(source, (c * this.image.height() + y(index) + row) * this.image.width() + x(index),
                        data, (c * tile.height() + row) * tile.width(), tile.width());
            }
        }
        return new FloatTensor(1, channels, tile.height(), tile.width(), data);
    }

    /**
     * The tiles of every image in order, the first image's, then the next one's: a view that cuts a tile each time it
     * is read, so that a fit's images are not held twice over (kept, the 15 tiles of 256 that cover 1024 x 512 would
     * hold 1.9 times the image).
     */
    public List<FloatTensor> cutAll(List<FloatTensor> images) {
        images.forEach(this::requireImageSize);
        return new AbstractList<>() {
            @Override
            public FloatTensor get(int index) {
                return cut(images.get(index / count()), index % count());
            }

            @Override
            public int size() {
                return images.size() * count();
            }
        };
    }

    /** One image's map from its tiles' maps (tile-sized planes, in tile order). */
    public float[] stitch(List<float[]> tileMaps) {
        if (tileMaps.size() != count()) {
            throw new IllegalArgumentException(tileMaps.size() + " tile maps for a layout of " + count());
        }
        if (isWhole()) {
            return tileMaps.get(0).clone();
        }
        Planes planes = planes();
        float[] weights = planes.weights();
        float[] inverseWeightSums = planes.inverseWeightSums();
        float[] sum = new float[image.area()];
        for (int t = 0; t < count(); t++) {
            float[] map = tileMaps.get(t);
            for (int row = 0; row < tile.height(); row++) {
                for (int column = 0; column < tile.width(); column++) {
                    int at = row * tile.width() + column;
                    sum[(y(t) + row) * image.width() + x(t) + column] += map[at] * weights[at];
                }
            }
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] *= inverseWeightSums[i];
        }
        return sum;
    }

    private float[] inverseSums(float[] weights) {
        float[] sums = new float[image.area()];
        for (int t = 0; t < count(); t++) {
            for (int row = 0; row < tile.height(); row++) {
                for (int column = 0; column < tile.width(); column++) {
                    sums[(y(t) + row) * image.width() + x(t) + column] += weights[row * tile.width() + column];
                }
            }
        }
        for (int i = 0; i < sums.length; i++) {
            sums[i] = 1 / sums[i];
        }
        return sums;
    }

    /** Per axis a ramp over {@code ramp} pixels at both ends, one between; a pixel's weight is the two ramps' product. */
    private static float[] weights(Extent tile, int ramp) {
        float[] across = ramp(tile.width(), ramp);
        float[] down = ramp(tile.height(), ramp);
        float[] weights = new float[tile.area()];
        for (int row = 0; row < tile.height(); row++) {
            for (int column = 0; column < tile.width(); column++) {
                weights[row * tile.width() + column] = down[row] * across[column];
            }
        }
        return weights;
    }

    private static float[] ramp(int length, int ramp) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) Math.min(1, Math.min((i + 0.5) / ramp, (length - i - 0.5) / ramp));
        }
        return values;
    }
}
