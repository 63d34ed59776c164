package dev.kdedge.calibration.engine;

import dev.kdedge.calibration.precision.Precision;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * ONNX Runtime's TensorRT provider options for a served graph: fp32; the fp32 graph built in half precision (fp16);
 * or the INT8 variant written for TensorRT, whose Q/DQ pairs fix every scale (INT8 enabled, no calibration table:
 * TensorRT refuses one for a graph with Q/DQ; half precision off, so the float anomaly map stays fp32). Engines are
 * cached on disk so that a restart does not rebuild them; each lives in a directory named by
 * everything it was built for ({@link #cacheDirectory}), so a new model, GPU, TensorRT or ONNX Runtime release, or
 * batch bound, builds a new one instead of loading a stale one.
 */
final class TensorRtOptions {
    private TensorRtOptions() {}

    static Map<String, String> of(InferenceOptions options, EngineTarget target, String modelDigest,
            GpuPlatform platform) {
        Map<String, String> tensorRt = new LinkedHashMap<>();
        tensorRt.put("device_id", Integer.toString(options.gpu()));
        tensorRt.put("trt_fp16_enable", target.precision() == Precision.FP16 ? "1" : "0");
        tensorRt.put("trt_int8_enable", target.precision() == Precision.INT8 ? "1" : "0");
        if (target.hasShape()) {
            tensorRt.put("trt_profile_min_shapes", target.profileShape(1));
            tensorRt.put("trt_profile_opt_shapes", target.profileShape(options.maxBatch()));
            tensorRt.put("trt_profile_max_shapes", target.profileShape(options.maxBatch()));
        }
        cacheDirectory(options, target, modelDigest, platform).ifPresent(directory -> {
            tensorRt.put("trt_engine_cache_enable", "1");
            tensorRt.put("trt_engine_cache_path", directory.toString());
            // Layer timings are the GPU's and TensorRT's, not the model's: one cache for every model speeds builds.
            tensorRt.put("trt_timing_cache_enable", "1");
            tensorRt.put("trt_timing_cache_path", directory.resolveSibling(String.join("-", "timing",
                    slug(platform.gpu().get()), "trt" + platform.tensorRt().get())).toString());
        });
        return tensorRt;
    }

    /**
     * {@code <engineCache>/<model sha256, 16 digits>-<precision>-b<maxBatch>-<gpu>-trt<release>-ort<release>}; empty
     * where engines are not to be cached or the GPU or TensorRT release is unknown (an unnamed one could be stale).
     */
    static Optional<Path> cacheDirectory(InferenceOptions options, EngineTarget target, String modelDigest,
            GpuPlatform platform) {
        if (options.engineCache().isEmpty() || platform.gpu().isEmpty() || platform.tensorRt().isEmpty()) {
            return Optional.empty();
        }
        String name = String.join("-", modelDigest.substring(0, 16), target.precision().label(),
                "b" + options.maxBatch(), slug(platform.gpu().get()), "trt" + platform.tensorRt().get(),
                "ort" + platform.onnxRuntime());
        return Optional.of(options.engineCache().get().resolve(name));
    }

    private static String slug(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
    }
}
