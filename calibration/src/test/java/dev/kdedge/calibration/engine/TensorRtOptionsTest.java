package dev.kdedge.calibration.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.tensor.Extent;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the node asks ONNX Runtime's TensorRT provider for (no TensorRT here: the mapping and the engine cache's keying
 * are what can be checked without one): the precision's flags, one profile from batch 1 to the batch bound, and an
 * engine cache directory that changes with anything an engine is built for.
 */
class TensorRtOptionsTest {
    private static final String MODEL = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static final GpuPlatform ORIN = new GpuPlatform(Optional.of("NVIDIA Jetson AGX Orin Developer Kit"),
            Optional.of("10.3.0"), "1.21.1");
    private static final Path ENGINES = Path.of("/var/lib/kdedge/store/engines");
    private static final InferenceOptions OPTIONS = InferenceOptions.cpu(2)
            .on(ExecutionProvider.TENSORRT, 0, Optional.of(ENGINES)).withMaxBatch(8);

    private static EngineTarget served(Precision precision) {
        return new EngineTarget(precision, "image", 3, Extent.square(256));
    }

    @Test
    void eachPrecisionEnablesItsOwnArithmeticOnly() {
        Map<String, String> fp16 = TensorRtOptions.of(OPTIONS, served(Precision.FP16), MODEL, ORIN);
        assertEquals(List.of("1", "0"), List.of(fp16.get("trt_fp16_enable"), fp16.get("trt_int8_enable")));
        Map<String, String> fp32 = TensorRtOptions.of(OPTIONS, served(Precision.FP32), MODEL, ORIN);
        assertEquals(List.of("0", "0"), List.of(fp32.get("trt_fp16_enable"), fp32.get("trt_int8_enable")));
        Map<String, String> int8 = TensorRtOptions.of(OPTIONS, served(Precision.INT8), MODEL, ORIN);
        assertEquals(List.of("0", "1"), List.of(int8.get("trt_fp16_enable"), int8.get("trt_int8_enable")),
                "the Q/DQ pairs need TensorRT's int8 on; the float map stays fp32");
        assertFalse(int8.keySet().stream().anyMatch(k -> k.contains("calibration")),
                "TensorRT refuses a calibration table for a graph with Q/DQ");
    }

    @Test
    void everyOptionIsOneOnnxRuntimeKnows() {
        // From the provider options table of ONNX Runtime's TensorRT execution provider documentation (1.21).
        Set<String> known = Set.of("device_id", "trt_fp16_enable", "trt_int8_enable", "trt_profile_min_shapes",
                "trt_profile_opt_shapes", "trt_profile_max_shapes", "trt_engine_cache_enable",
                "trt_engine_cache_path", "trt_timing_cache_enable", "trt_timing_cache_path");
        Map<String, String> options = TensorRtOptions.of(OPTIONS, served(Precision.FP16), MODEL, ORIN);
        assertTrue(known.containsAll(options.keySet()), options.keySet().toString());
    }

    @Test
    void oneProfileCoversEveryBatchUpToTheBound() {
        Map<String, String> options = TensorRtOptions.of(OPTIONS.on(ExecutionProvider.TENSORRT, 1,
                OPTIONS.engineCache()), served(Precision.FP32), MODEL, ORIN);
        assertEquals("1", options.get("device_id"));
        assertEquals("image:1x3x256x256", options.get("trt_profile_min_shapes"));
        assertEquals("image:8x3x256x256", options.get("trt_profile_opt_shapes"));
        assertEquals("image:8x3x256x256", options.get("trt_profile_max_shapes"));
        assertFalse(TensorRtOptions.of(OPTIONS, EngineTarget.ANY_FP32, MODEL, ORIN)
                .containsKey("trt_profile_min_shapes"), "a network loaded for its own sake takes shapes as they come");
    }

    @Test
    void enginesAreCachedUnderTheStoreInADirectoryNamedByAllTheyWereBuiltFor() {
        Map<String, String> options = TensorRtOptions.of(OPTIONS, served(Precision.FP16), MODEL, ORIN);
        Path expected = ENGINES.resolve("9f86d081884c7d65-fp16-b8-nvidia_jetson_agx_orin_developer_kit-trt10.3.0"
                + "-ort1.21.1");
        assertEquals("1", options.get("trt_engine_cache_enable"));
        assertEquals(expected.toString(), options.get("trt_engine_cache_path"));
        assertEquals(ENGINES.resolve("timing-nvidia_jetson_agx_orin_developer_kit-trt10.3.0").toString(),
                options.get("trt_timing_cache_path"), "layer timings are shared by every model on this GPU");
    }

    @Test
    void anotherModelGpuReleaseOrBoundNeverReusesAnEngine() {
        EngineTarget fp32 = served(Precision.FP32);
        List<Optional<Path>> directories = List.of(
                TensorRtOptions.cacheDirectory(OPTIONS, fp32, MODEL, ORIN),
                TensorRtOptions.cacheDirectory(OPTIONS, fp32, "0" + MODEL.substring(1), ORIN),
                TensorRtOptions.cacheDirectory(OPTIONS, served(Precision.FP16), MODEL, ORIN),
                TensorRtOptions.cacheDirectory(OPTIONS, served(Precision.INT8), MODEL, ORIN),
                TensorRtOptions.cacheDirectory(OPTIONS.withMaxBatch(4), fp32, MODEL, ORIN),
                TensorRtOptions.cacheDirectory(OPTIONS, fp32, MODEL, new GpuPlatform(
                        Optional.of("NVIDIA Jetson Orin Nano Developer Kit"), ORIN.tensorRt(), ORIN.onnxRuntime())),
                TensorRtOptions.cacheDirectory(OPTIONS, fp32, MODEL, new GpuPlatform(ORIN.gpu(),
                        Optional.of("10.7.0"), ORIN.onnxRuntime())),
                TensorRtOptions.cacheDirectory(OPTIONS, fp32, MODEL, new GpuPlatform(ORIN.gpu(), ORIN.tensorRt(),
                        "1.22.0")));
        Set<Optional<Path>> distinct = new HashSet<>(directories);
        assertEquals(directories.size(), distinct.size(), directories.toString());
        assertTrue(directories.stream().allMatch(Optional::isPresent));
    }

    @Test
    void anUnknownGpuOrTensorRtReleaseCachesNothing() {
        for (GpuPlatform unknown : List.of(new GpuPlatform(Optional.empty(), ORIN.tensorRt(), "1.21.1"),
                new GpuPlatform(ORIN.gpu(), Optional.empty(), "1.21.1"))) {
            Map<String, String> options = TensorRtOptions.of(OPTIONS, served(Precision.FP32), MODEL, unknown);
            assertFalse(options.containsKey("trt_engine_cache_enable"), options.toString());
            assertFalse(options.containsKey("trt_engine_cache_path"), options.toString());
        }
        Map<String, String> noCache = TensorRtOptions.of(OPTIONS.on(ExecutionProvider.TENSORRT, 0, Optional.empty()),
                served(Precision.FP32), MODEL, ORIN);
        assertNotEquals("1", noCache.get("trt_engine_cache_enable"));
    }
}
