package dev.kdedge.calibration.image;

/** An image that cannot be used: undecodable, malformed raw pixels, or outside the configured limits. */
public class InvalidImageException extends Exception {
    public InvalidImageException(String message) {
        super(message);
    }
}
