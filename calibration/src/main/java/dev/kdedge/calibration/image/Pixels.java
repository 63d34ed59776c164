package dev.kdedge.calibration.image;

import dev.kdedge.calibration.tensor.Extent;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.nio.ByteBuffer;

/**
 * An 8-bit image, interleaved, tightly packed: {@code channels} is 1 (gray) or 3, in RGB order, or BGR where {@code
 * bgr} says so. BGR is kept as it came (a camera's BGR8 frame, a decoder's 3-byte BGR raster) because the served graph
 * takes either order ({@link #channelSources}): swapping here would be a pass over every pixel in Java.
 */
public record Pixels(int width, int height, int channels, byte[] data, boolean bgr) implements InterleavedPixels {
    public Pixels {
        checkLayout(width, height, channels, bgr, data.length);
    }

    static void checkLayout(int width, int height, int channels, boolean bgr, int bytes) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, was " + channels);
        }
        if (bgr && channels != 3) {
            throw new IllegalArgumentException("a gray image has no BGR order");
        }
        if (bytes != width * height * channels) {
            throw new IllegalArgumentException("pixel buffer has " + bytes + " bytes, expected "
                    + width * height * channels);
        }
    }

    /** Gray or RGB pixels. */
    public Pixels(int width, int height, int channels, byte[] data) {
        this(width, height, channels, data, false);
    }

    /** A black gray image of {@code size}: what an engine's warm-up runs. */
    public static Pixels blank(Extent size) {
        return new Pixels(size.width(), size.height(), 1, new byte[size.area()]);
    }

    @Override
    public void copyTo(ByteBuffer target) {
        target.put(data);
    }

    @Override
    public Pixels onHeap() {
        return this;
    }

    /** As a Java image (8-bit gray, or RGB), to encode it. */
    public BufferedImage toImage() {
        BufferedImage image = new BufferedImage(width, height,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        byte[] target = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        if (channels == 1 || bgr) {
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

    /** Channel {@code c} (0 red, 1 green, 2 blue; 0 of a gray image) as a plane of floats in 0..255. */
    public float[] plane(int c) {
        int source = bgr ? 2 - c : c;
        float[] plane = new float[width * height];
        for (int i = 0; i < plane.length; i++) {
            plane[i] = data[i * channels + source] & 0xff;
        }
        return plane;
    }

    /**
     * Read as a defect mask at another resolution (a map's): nearest-neighbour, a defect where the red (or gray)
     * channel is above 127.
     */
    public boolean[] maskAt(int targetWidth, int targetHeight) {
        boolean[] mask = new boolean[targetWidth * targetHeight];
        for (int y = 0; y < targetHeight; y++) {
            int sy = nearest(y, targetHeight, height);
            for (int x = 0; x < targetWidth; x++) {
                int sx = nearest(x, targetWidth, width);
                mask[y * targetWidth + x] = (data[(sy * width + sx) * channels + (bgr ? 2 : 0)] & 0xff) > 127;
            }
        }
        return mask;
    }

    /**
     * The source index nearest-neighbour resampling reads for {@code target} of {@code targetSize} from
     * {@code sourceSize}: torch's "nearest", floor(target x source / target size).
     */
    public static int nearest(int target, int targetSize, int sourceSize) {
        return Math.min(sourceSize - 1, (int) Math.floor(target * (double) sourceSize / targetSize));
    }
}
