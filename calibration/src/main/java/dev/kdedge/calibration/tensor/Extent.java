package dev.kdedge.calibration.tensor;

/**
 * The width and height of an image or a feature map: a product's model input may be wider than it is tall (a line
 * camera's frames), and every spatial size follows from it axis by axis.
 */
public record Extent(int width, int height) {
    public Extent {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a size needs positive sides, was " + width + "x" + height);
        }
    }

    public static Extent square(int side) {
        return new Extent(side, side);
    }

    /**
     * A size as an engineer writes it: {@code 256} (square) or {@code 512x224} (width x height).
     *
     * @throws IllegalArgumentException saying what was wrong
     */
    public static Extent parse(String text) {
        String[] sides = text.trim().toLowerCase(java.util.Locale.ROOT).split("x", -1);
        try {
            if (sides.length == 1) {
                return square(Integer.parseInt(sides[0].trim()));
            }
            if (sides.length == 2) {
                return new Extent(Integer.parseInt(sides[0].trim()), Integer.parseInt(sides[1].trim()));
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("'" + text + "' is not a size: write a side (256) or width x height "
                + "(512x224)");
    }

    public boolean isSquare() {
        return width == height;
    }

    public int area() {
        return width * height;
    }

    /** This size with each side divided by {@code factor}, rounded down (a stride's output before its arithmetic). */
    public Extent dividedBy(int factor) {
        return new Extent(width / factor, height / factor);
    }

    /** {@code 256} for a square, {@code 512x224} otherwise: what {@link #parse} reads. */
    @Override
    public String toString() {
        return isSquare() ? Integer.toString(width) : width + "x" + height;
    }
}
