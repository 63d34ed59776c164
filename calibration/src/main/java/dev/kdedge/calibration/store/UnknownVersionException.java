package dev.kdedge.calibration.store;

/** The product exists but has no version of that number. */
public final class UnknownVersionException extends StoreException {
    public UnknownVersionException(String product, int version) {
        super("product " + product + " has no version " + version);
    }
}
