package dev.kdedge.calibration.image;

/**
 * An 8-bit image, interleaved, tightly packed: {@code channels} is 1 (gray) or 3 (RGB, in that order).
 */
public record Pixels(int width, int height, int channels, byte[] data) {
    public Pixels {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, was " + channels);
        }
        if (data.length != width * height * channels) {
            throw new IllegalArgumentException("pixel buffer has " + data.length + " bytes, expected "
                    + width * height * channels);
        }
    }

    /** Channel {@code c} as a plane of floats in 0..255. */
    public float[] plane(int c) {
        float[] plane = new float[width * height];
        for (int i = 0; i < plane.length; i++) {
            plane[i] = data[i * channels + c] & 0xff;
        }
        return plane;
    }
}
