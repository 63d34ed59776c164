package dev.kdedge.calibration.store;

/** No product of that name is in the store, or it has no active version. */
public final class UnknownProductException extends StoreException {
    public UnknownProductException(String message) {
        super(message);
    }
}
