package dev.kdedge.calibration.engine;

/** The configured execution provider is not in the ONNX Runtime this JVM loaded; the message says what to do. */
public final class ProviderUnavailableException extends IllegalStateException {
    public ProviderUnavailableException(String message) {
        super(message);
    }
}
