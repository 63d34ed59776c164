package dev.kdedge.calibration.store;

import java.io.IOException;

/** The store has no such product or version, or what is on disk is not a valid bundle. */
public class StoreException extends IOException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
