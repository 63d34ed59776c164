package dev.kdedge.calibration.image;

import java.nio.ByteBuffer;

/**
 * Packed pixels in a buffer they are not copied out of, from its position to its limit: a direct buffer, which ONNX
 * Runtime takes as a frame tensor's memory as it is (a shared frame the node read), or a view of a message's bytes,
 * copied once, into the buffer of the batch the frame runs in. An array would be copied for every run, and a view
 * first into an array of its own. Whoever made it must leave the buffer unchanged until everything reading it is done.
 */
public record PixelView(int width, int height, int channels, ByteBuffer buffer, boolean bgr)
        implements InterleavedPixels {
    public PixelView {
        Pixels.checkLayout(width, height, channels, bgr, buffer.remaining());
        buffer = buffer.slice();
    }

    /** Whether ONNX Runtime takes the buffer as it is. */
    public boolean direct() {
        return buffer.isDirect();
    }

    /** The pixels as a buffer positioned at the first of them, independent of any other reader's position. */
    public ByteBuffer pixels() {
        return buffer.duplicate();
    }

    @Override
    public void copyTo(ByteBuffer target) {
        target.put(pixels());
    }

    @Override
    public Pixels onHeap() {
        byte[] data = new byte[buffer.remaining()];
        pixels().get(data);
        return new Pixels(width, height, channels, data, bgr);
    }
}
