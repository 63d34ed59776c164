package dev.kdedge.node.inspection;

import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InterleavedPixels;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.Pixels;

/** Raw camera pixels (to score, or to keep as a normal), checked as the client sent them, then decoded. */
public final class RawImages {
    private RawImages() {}

    /** What can be checked before any pixel is copied. */
    public static void check(ImageInput.Raw raw) throws InvalidImageException {
        if (raw.format() == null) {
            throw new InvalidImageException("raw image needs a pixel format (GRAY8, RGB8 or BGR8)");
        }
        if (raw.width() > Integer.MAX_VALUE || raw.height() > Integer.MAX_VALUE || raw.stride() > Integer.MAX_VALUE) {
            throw new InvalidImageException("raw image " + raw.width() + "x" + raw.height() + " with stride "
                    + raw.stride() + " is out of range (at most " + Integer.MAX_VALUE + " each)");
        }
    }

    /** The pixels in an array of their own, for what keeps or reads them in Java (a normal to upload). */
    public static Pixels decode(ImageDecoder decoder, ImageInput.Raw raw) throws InvalidImageException {
        check(raw);
        return decoder.fromRaw(raw.format(), (int) raw.width(), (int) raw.height(), (int) raw.stride(),
                raw.pixelArray());
    }

    /**
     * The frame to score, its bytes taken over where its rows are packed: a shared frame's lent buffer the served graph
     * reads in place, a message's bytes copied once, into the buffer of the batch the frame runs in.
     */
    public static InterleavedPixels frame(ImageDecoder decoder, ImageInput.Raw raw) throws InvalidImageException {
        check(raw);
        return decoder.fromRaw(raw.format(), (int) raw.width(), (int) raw.height(), (int) raw.stride(), raw.pixels());
    }
}
