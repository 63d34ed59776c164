package dev.kdedge.calibration.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A product's don't-care region: what the engineer drew over a camera frame (white where nothing may count, such as
 * a printed label, a serial number, a fixture's edge or the conveyor at the border; black where the part is
 * inspected), a PNG at the camera's resolution, or polygons written down in its coordinates ({@link
 * DontCarePolygons}). It is kept as drawn in each version's bundle; the served graph zeroes the anomaly map there
 * before the image score, heatmaps grey it out and evaluations leave its pixels out. It is placed by proportion: a
 * frame must have the mask's aspect ratio for the region to land where it was drawn.
 */
public final class DontCareMask {
    public static final String FILE = "dont-care.png";
    /** How far a frame's aspect ratio (width / height) may be from the mask's, relative to the mask's. */
    public static final double ASPECT_TOLERANCE = 0.01;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final int width;
    private final int height;
    /**
     * Where nothing counts, a bit a pixel at the camera's resolution: kept by every engine of the version, so a 12 MP
     * mask takes 1.5 MB, not its decoded 12 or 36.
     */
    private final BitSet covered;

    private DontCareMask(Pixels drawn) {
        this.width = drawn.width();
        this.height = drawn.height();
        boolean[] pixels = drawn.maskAt(width, height);
        this.covered = new BitSet(pixels.length);
        for (int i = 0; i < pixels.length; i++) {
            covered.set(i, pixels[i]);
        }
    }

    /**
     * The mask in a PNG file's bytes.
     *
     * @throws InvalidImageException where it is not a PNG (JPEG blurs a mask's edges) or cannot be decoded
     */
    public static DontCareMask of(byte[] png) throws InvalidImageException {
        if (png.length < PNG_SIGNATURE.length
                || !Arrays.equals(Arrays.copyOf(png, PNG_SIGNATURE.length), PNG_SIGNATURE)) {
            throw new InvalidImageException("a don't-care mask must be a PNG (white: does not count, black: "
                    + "inspected); JPEG would blur its edges");
        }
        // as large as the camera's frames, whatever they are: drawn by the engineer, not sent by a client
        return new DontCareMask(new ImageDecoder(Long.MAX_VALUE).decode(png));
    }

    /** The mask in a PNG file; an unusable file is an {@link IOException} that names it. */
    public static DontCareMask read(Path file) throws IOException {
        try {
            return of(drawing(file));
        } catch (InvalidImageException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The drawing a version keeps: a PNG file's bytes as they are, or the polygons of a {@code .json} file ({@link
     * DontCarePolygons}) filled into one.
     */
    public static byte[] drawing(Path file) throws IOException {
        return writtenDown(file) ? DontCarePolygons.png(file) : Files.readAllBytes(file);
    }

    /**
     * The polygons of a {@code .json} file as written ({@link DontCarePolygons}), for whoever edits the region
     * later; none for a PNG, which is only a drawing.
     */
    public static Optional<List<List<List<Double>>>> polygons(Path file) throws IOException {
        return writtenDown(file) ? Optional.of(DontCarePolygons.polygons(file)) : Optional.empty();
    }

    private static boolean writtenDown(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The mask over a {@code gridWidth} x {@code gridHeight} grid, nearest pixel: true where nothing counts. */
    public boolean[] at(int gridWidth, int gridHeight) {
        boolean[] grid = new boolean[gridWidth * gridHeight];
        for (int y = 0; y < gridHeight; y++) {
            int row = Pixels.nearest(y, gridHeight, height) * width;
            for (int x = 0; x < gridWidth; x++) {
                grid[y * gridWidth + x] = covered.get(row + Pixels.nearest(x, gridWidth, width));
            }
        }
        return grid;
    }

    /** The share of a {@code width} x {@code height} grid the mask leaves out. */
    public double coveredShare(int width, int height) {
        boolean[] covered = at(width, height);
        long count = 0;
        for (boolean c : covered) {
            count += c ? 1 : 0;
        }
        return (double) count / covered.length;
    }

    /** Whether a frame of {@code width} x {@code height} has the mask's aspect ratio, within the tolerance. */
    public boolean fits(int width, int height) {
        double mask = (double) width() / height();
        return Math.abs((double) width / height - mask) <= ASPECT_TOLERANCE * mask;
    }

    /** Why a frame of {@code width} x {@code height} does not fit the mask, to tell whoever sent it. */
    public String misfit(int width, int height) {
        return String.format("the product's don't-care mask was drawn on %dx%d frames (aspect %.3f) and this image "
                + "is %dx%d (aspect %.3f): the region would land elsewhere", width(), height(),
                (double) width() / height(), width, height, (double) width / height);
    }
}
