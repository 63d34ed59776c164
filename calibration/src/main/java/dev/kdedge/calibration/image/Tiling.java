package dev.kdedge.calibration.image;

import dev.kdedge.calibration.tensor.Extent;

/**
 * How a product's image is cut for its networks: tiles of {@code tileWidth} x {@code tileHeight} (the networks'
 * input), neighbours sharing at least {@code overlap} pixels, laid over the whole preprocessed image ({@link
 * TileLayout}). Small defects on a large frame keep their pixels this way, where squeezing the frame into one network
 * input would shrink them away. Neighbours' maps are blended over what they share; an overlap of 0 lets tiles meet
 * edge to edge, unblended, where a tile's border (its features saw padding there) may show as a seam.
 */
public record Tiling(int tileWidth, int tileHeight, int overlap) {
    /** A layout's tiles run as one batch; past this many, a smaller working size or larger tiles are the answer. */
    public static final int MOST_TILES = 64;
    /** An eighth of the 256 px the methods were published at: a tile's border that saw padding counts little. */
    public static final int DEFAULT_OVERLAP = 32;

    public Tiling {
        if (Math.min(tileWidth, tileHeight) < Preprocessing.SMALLEST_SIDE) {
            throw new IllegalArgumentException("tile sides must be at least " + Preprocessing.SMALLEST_SIDE
                    + " px, were " + tileWidth + "x" + tileHeight);
        }
        if (overlap < 0 || 2 * overlap > Math.min(tileWidth, tileHeight)) {
            throw new IllegalArgumentException("a tile overlap must be 0 to half the shorter tile side ("
                    + Math.min(tileWidth, tileHeight) / 2 + " px), was " + overlap);
        }
    }

    public Tiling(Extent tile, int overlap) {
        this(tile.width(), tile.height(), overlap);
    }

    /** Tiles of {@code tile} sharing {@value #DEFAULT_OVERLAP} pixels, or half the shorter side of smaller tiles. */
    public static Tiling withDefaultOverlap(Extent tile) {
        return new Tiling(tile, Math.min(DEFAULT_OVERLAP, Math.min(tile.width(), tile.height()) / 2));
    }

    public Extent tile() {
        return new Extent(tileWidth, tileHeight);
    }

    /**
     * The tiles over an image of {@code image}.
     *
     * @throws IllegalArgumentException where a tile is larger than the image or there would be too many, saying so
     */
    public TileLayout layout(Extent image) {
        if (tileWidth > image.width() || tileHeight > image.height()) {
            throw new IllegalArgumentException("tiles of " + tile() + " px do not fit in the working image of "
                    + image + " px: choose tiles no larger than it");
        }
        TileLayout layout = new TileLayout(image, tile(), origins(image.width(), tileWidth),
                origins(image.height(), tileHeight), overlap);
        if (layout.count() > MOST_TILES) {
            throw new IllegalArgumentException("tiles of " + tile() + " px with an overlap of " + overlap + " px cut "
                    + "a working image of " + image + " px into " + layout.count() + " tiles; at most " + MOST_TILES
                    + " run as one batch: choose larger tiles or a smaller working size");
        }
        return layout;
    }

    /**
     * Where the tiles start along one axis: as few as cover it with neighbours sharing at least the overlap, spread
     * evenly from one end to the other (so the last ends at the image's edge).
     */
    private int[] origins(int length, int tile) {
        if (length == tile) {
            return new int[] {0};
        }
        int count = 1 + (int) Math.ceil((double) (length - tile) / (tile - overlap));
        int[] origins = new int[count];
        for (int i = 0; i < count; i++) {
            origins[i] = (int) Math.round((double) i * (length - tile) / (count - 1));
        }
        return origins;
    }
}
