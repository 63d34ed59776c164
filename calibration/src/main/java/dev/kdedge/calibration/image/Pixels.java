package dev.kdedge.calibration.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

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

    /** As a Java image (8-bit gray, or RGB), to encode it. */
    public BufferedImage toImage() {
        BufferedImage image = new BufferedImage(width, height,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        byte[] target = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        if (channels == 1) {
            System.arraycopy(data, 0, target, 0, data.length);
        } else {
            for (int i = 0; i < data.length; i += 3) {
                target[i] = data[i + 2];
                target[i + 1] = data[i + 1];
                target[i + 2] = data[i];
            }
        }
        return image;
    }

    /** Channel {@code c} as a plane of floats in 0..255. */
    public float[] plane(int c) {
        float[] plane = new float[width * height];
        for (int i = 0; i < plane.length; i++) {
            plane[i] = data[i * channels + c] & 0xff;
        }
        return plane;
    }

    /**
     * Read as a defect mask at another resolution (a map's): nearest-neighbour, a defect where the first channel is
     * above 127.
     */
    public boolean[] maskAt(int targetWidth, int targetHeight) {
        boolean[] mask = new boolean[targetWidth * targetHeight];
        for (int y = 0; y < targetHeight; y++) {
            int sy = Math.min(height - 1, (int) Math.floor(y * (double) height / targetHeight));
            for (int x = 0; x < targetWidth; x++) {
                int sx = Math.min(width - 1, (int) Math.floor(x * (double) width / targetWidth));
                mask[y * targetWidth + x] = (data[(sy * width + sx) * channels] & 0xff) > 127;
            }
        }
        return mask;
    }
}
