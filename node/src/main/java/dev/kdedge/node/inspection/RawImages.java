package dev.kdedge.node.inspection;

import dev.kdedge.calibration.image.ImageDecoder;
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

    public static Pixels decode(ImageDecoder decoder, ImageInput.Raw raw) throws InvalidImageException {
        check(raw);
        return decoder.fromRaw(raw.format(), (int) raw.width(), (int) raw.height(), (int) raw.stride(),
                raw.pixelArray());
    }
}
