package dev.kdedge.calibration.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A don't-care region written down rather than drawn: polygons in the camera's pixel coordinates, in a JSON file the
 * engineer keeps with the product's settings,
 * {@code {"width": 1414, "height": 707, "polygons": [[[0, 0], [1414, 0], [1414, 40], [0, 40]], ...]}}. Vertices lie
 * on pixel corners, (0, 0) the frame's top left corner, so [[10, 20], [30, 20], [30, 40], [10, 40]] covers the 20 x 20
 * pixels from (10, 20); a pixel counts as covered where its centre is inside a polygon. They are filled, without
 * antialiasing, into the PNG a version keeps ({@link DontCareMask#FILE}), as though the engineer had drawn it.
 */
final class DontCarePolygons {
    /** Larger than any camera's frame; the drawing is a byte a pixel while it is made. */
    static final long MOST_PIXELS = 100_000_000L;

    private record Region(Integer width, Integer height, List<List<List<Double>>> polygons) {}

    private DontCarePolygons() {}

    /** The polygons in {@code json} filled white on black, as a PNG. */
    static byte[] png(Path json) throws IOException {
        try {
            return draw(read(json));
        } catch (InvalidImageException e) {
            throw new IOException(json + ": " + e.getMessage(), e);
        }
    }

    /** The polygons in {@code json} as written, each a list of [x, y]; {@link #png} checks them. */
    static List<List<List<Double>>> polygons(Path json) throws IOException {
        return read(json).polygons();
    }

    private static Region read(Path json) throws IOException {
        try {
            return new ObjectMapper().readValue(json.toFile(), Region.class);
        } catch (JsonProcessingException e) {
            throw new IOException(json + " is not a don't-care region's polygons (" + e.getOriginalMessage()
                    + "); write {\"width\": W, \"height\": H, \"polygons\": [[[x, y], [x, y], [x, y]], ...]}", e);
        }
    }

    private static byte[] draw(Region region) throws InvalidImageException, IOException {
        if (region.width() == null || region.height() == null || region.width() < 1 || region.height() < 1) {
            throw new InvalidImageException("width and height, the camera frame's size in pixels, must be at least 1");
        }
        int width = region.width();
        int height = region.height();
        if ((long) width * height > MOST_PIXELS) {
            throw new InvalidImageException(width + "x" + height + " is larger than any camera frame (at most "
                    + MOST_PIXELS / 1_000_000 + " megapixels)");
        }
        if (region.polygons() == null || region.polygons().isEmpty()) {
            throw new InvalidImageException("no polygons: list at least one, each of 3 or more [x, y] points");
        }
        BufferedImage drawing = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = drawing.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            for (int p = 0; p < region.polygons().size(); p++) {
                g.fill(polygon(region.polygons().get(p), p + 1, width, height));
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(drawing, "png", png);
        return png.toByteArray();
    }

    private static Path2D polygon(List<List<Double>> points, int number, int width, int height)
            throws InvalidImageException {
        if (points == null || points.size() < 3) {
            throw new InvalidImageException("polygon " + number + " has " + (points == null ? 0 : points.size())
                    + " points; a region needs at least 3");
        }
        Path2D.Double outline = new Path2D.Double();
        for (int i = 0; i < points.size(); i++) {
            List<Double> point = points.get(i);
            if (point == null || point.size() != 2 || point.contains(null)) {
                throw new InvalidImageException("polygon " + number + ", point " + (i + 1) + " is not [x, y]");
            }
            double x = point.get(0);
            double y = point.get(1);
            if (!(x >= 0 && x <= width && y >= 0 && y <= height)) {
                throw new InvalidImageException("polygon " + number + ", point " + (i + 1) + " (" + x + ", " + y
                        + ") is outside the " + width + "x" + height + " frame");
            }
            if (i == 0) {
                outline.moveTo(x, y);
            } else {
                outline.lineTo(x, y);
            }
        }
        outline.closePath();
        return outline;
    }
}
