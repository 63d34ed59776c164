package dev.kdedge.calibration.engine;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How an ONNX model is run. {@code intraOpThreads} bounds the threads one inference uses; the node sizes it so that
 * concurrent requests do not oversubscribe the cores.
 *
 * @param provider where the model runs
 * @param gpu the CUDA device index, for the GPU providers
 * @param engineCache where TensorRT keeps the engines it builds (one directory per model, precision, batch bound,
 *     GPU, TensorRT and ONNX Runtime release: {@link TensorRtOptions}); empty builds them at every load
 * @param maxBatch the most images one run takes (the node's batching bound), which TensorRT builds its engines for
 */
public record InferenceOptions(int intraOpThreads, int interOpThreads, ExecutionProvider provider, int gpu,
        Optional<Path> engineCache, int maxBatch) {
    public InferenceOptions {
        if (intraOpThreads < 1 || interOpThreads < 1) {
            throw new IllegalArgumentException("thread counts must be at least 1");
        }
        if (gpu < 0) {
            throw new IllegalArgumentException("gpu must be a device index, 0 or more");
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
    }

    public static InferenceOptions cpu(int threads) {
        return new InferenceOptions(threads, 1, ExecutionProvider.CPU, 0, Optional.empty(), 1);
    }

    public InferenceOptions on(ExecutionProvider provider, int gpu, Optional<Path> engineCache) {
        return new InferenceOptions(intraOpThreads, interOpThreads, provider, gpu, engineCache, maxBatch);
    }

    public InferenceOptions withMaxBatch(int maxBatch) {
        return new InferenceOptions(intraOpThreads, interOpThreads, provider, gpu, engineCache, maxBatch);
    }
}
