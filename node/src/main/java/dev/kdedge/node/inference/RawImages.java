package dev.kdedge.node.inference;

import dev.kdedge.api.v1.RawImage;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.Pixels;

/**
 * Raw camera pixels from a request (Score or UploadNormals), checked as the client sent them, then decoded. Protobuf's
 * unsigned sizes arrive as Java ints, negative above 2^31 - 1: each is checked and reported unsigned.
 */
public final class RawImages {
    private RawImages() {}

    /** What can be checked before any pixel is copied. */
    public static void check(RawImage raw) throws InvalidImageException {
        switch (raw.getFormat()) {
            case PIXEL_FORMAT_UNSPECIFIED -> throw new InvalidImageException(
                    "raw image needs a pixel format (GRAY8, RGB8 or BGR8)");
            case UNRECOGNIZED -> throw new InvalidImageException(
                    "unknown raw pixel format " + raw.getFormatValue() + " (GRAY8, RGB8 or BGR8)");
            default -> { }
        }
        if (raw.getWidth() < 0 || raw.getHeight() < 0 || raw.getStride() < 0) {
            throw new InvalidImageException("raw image " + Integer.toUnsignedString(raw.getWidth()) + "x"
                    + Integer.toUnsignedString(raw.getHeight()) + " with stride "
                    + Integer.toUnsignedString(raw.getStride()) + " is out of range (at most " + Integer.MAX_VALUE
                    + " each)");
        }
    }

    public static Pixels decode(ImageDecoder decoder, RawImage raw) throws InvalidImageException {
        check(raw);
        return decoder.fromRaw(ImageDecoder.RawFormat.valueOf(raw.getFormat().name()), raw.getWidth(),
                raw.getHeight(), raw.getStride(), raw.getPixels().toByteArray());
    }
}
