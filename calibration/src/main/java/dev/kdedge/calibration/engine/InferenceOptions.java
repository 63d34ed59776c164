package dev.kdedge.calibration.engine;

/**
 * How an ONNX model is run. {@code intraOpThreads} bounds the threads one inference uses; the node sizes it so that
 * concurrent requests do not oversubscribe the cores.
 */
public record InferenceOptions(int intraOpThreads, int interOpThreads) {
    public InferenceOptions {
        if (intraOpThreads < 1 || interOpThreads < 1) {
            throw new IllegalArgumentException("thread counts must be at least 1");
        }
    }

    public static InferenceOptions cpu(int threads) {
        return new InferenceOptions(threads, 1);
    }
}
