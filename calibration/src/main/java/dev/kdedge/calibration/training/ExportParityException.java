package dev.kdedge.calibration.training;

/** The exported ONNX student does not reproduce the trained PyTorch student closely enough to be served. */
public final class ExportParityException extends Exception {
    public ExportParityException(String message) {
        super(message);
    }
}
