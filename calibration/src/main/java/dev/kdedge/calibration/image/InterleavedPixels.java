package dev.kdedge.calibration.image;

import java.nio.ByteBuffer;

/**
 * 8-bit pixels at a frame's own size, interleaved and packed ({@code channels} 1 or 3, RGB or BGR order): what the
 * served graph's frame input takes. In an array ({@link Pixels}, what decoders and the fit produce), or in a buffer
 * they are not copied out of ({@link PixelView}: a raw frame as it came, in a message or read into the node's memory).
 */
public sealed interface InterleavedPixels permits Pixels, PixelView {
    int width();

    int height();

    int channels();

    boolean bgr();

    /** Puts the pixels into {@code target} at its position, advancing it. */
    void copyTo(ByteBuffer target);

    /** The pixels in an array of their own, for what reads them in Java: this image itself where it is one. */
    Pixels onHeap();

    default int byteSize() {
        return width() * height() * channels();
    }

    /** Whether {@code other} has this image's shape and channel order, so the two can run in one batch. */
    default boolean sameLayout(InterleavedPixels other) {
        return width() == other.width() && height() == other.height() && channels() == other.channels()
                && bgr() == other.bgr();
    }

    /** For red, green and blue, the channel that holds it: a gray image's one channel for all three. */
    default long[] channelSources() {
        return channels() == 1 ? new long[] {0, 0, 0} : bgr() ? new long[] {2, 1, 0} : new long[] {0, 1, 2};
    }
}
