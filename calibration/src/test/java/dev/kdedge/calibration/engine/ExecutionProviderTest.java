package dev.kdedge.calibration.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtProvider;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.tensor.Extent;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provider selection on the ONNX Runtime this build ships (CPU only): the CPU runs; CUDA and TensorRT are refused
 * before any session is made, saying which build this is and how to get one with the provider; fp16 is TensorRT's,
 * and each provider serves its own INT8 variant.
 */
class ExecutionProviderTest {
    @TempDir
    Path dir;

    @Test
    void providersAreSpelledAsConfigurationSpellsThem() {
        assertEquals(ExecutionProvider.TENSORRT, ExecutionProvider.of("tensorrt"));
        var e = assertThrows(IllegalArgumentException.class, () -> ExecutionProvider.of("TensorRT"));
        assertEquals("unknown execution provider 'TensorRT': expected one of [cpu, cuda, tensorrt]", e.getMessage());
    }

    @Test
    void theMavenBuildHasTheCpuProviderOnly() {
        assertTrue(ExecutionProvider.available().contains(OrtProvider.CPU));
        ExecutionProvider.CPU.requireAvailable();
        for (ExecutionProvider gpu : new ExecutionProvider[] {ExecutionProvider.CUDA, ExecutionProvider.TENSORRT}) {
            var e = assertThrows(ProviderUnavailableException.class, gpu::requireAvailable);
            assertTrue(e.getMessage().startsWith("execution provider " + gpu.label() + " is not in this ONNX Runtime: "
                    + "version " + ExecutionProvider.onnxRuntimeVersion() + " with [CPU]"), e.getMessage());
            assertTrue(e.getMessage().contains("-Donnxruntime.native.path"), e.getMessage());
            assertTrue(e.getMessage().contains(gpu == ExecutionProvider.CUDA ? "built with --use_cuda --build_java"
                    : "built with --use_cuda --use_tensorrt --build_java"), e.getMessage());
        }
    }

    @Test
    void aBuildWithTheProviderRunsIt() {
        var tensorRtBuild = EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA, OrtProvider.TENSOR_RT);
        assertNull(ExecutionProvider.TENSORRT.missingFrom(tensorRtBuild, "1.21.1"));
        assertNull(ExecutionProvider.CUDA.missingFrom(tensorRtBuild, "1.21.1"));
        assertTrue(ExecutionProvider.TENSORRT.missingFrom(EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA), "1.21.1")
                .contains("with [CPU, CUDA]"));
    }

    @Test
    void fp16IsTensorRtsOnlyAndTensorRtRunsItsOwnInt8Variant() {
        assertEquals(Optional.empty(), ExecutionProvider.TENSORRT.cannotRun(Precision.FP16));
        assertEquals(Optional.of("fp16 runs on the tensorrt provider only, not cuda"),
                ExecutionProvider.CUDA.cannotRun(Precision.FP16));
        assertTrue(ExecutionProvider.CPU.cannotRun(Precision.FP16).isPresent());
        assertEquals(Optional.empty(), ExecutionProvider.CPU.cannotRun(Precision.INT8));
        assertEquals(Optional.empty(), ExecutionProvider.CUDA.cannotRun(Precision.INT8));
        assertEquals(Optional.empty(), ExecutionProvider.TENSORRT.cannotRun(Precision.INT8));
        assertEquals(QdqScheme.TENSORRT, ExecutionProvider.TENSORRT.int8Scheme());
        assertEquals(QdqScheme.ONNX_RUNTIME, ExecutionProvider.CUDA.int8Scheme());
        assertEquals(QdqScheme.ONNX_RUNTIME, ExecutionProvider.CPU.int8Scheme());
        for (ExecutionProvider provider : ExecutionProvider.values()) {
            assertEquals(Optional.empty(), provider.cannotRun(Precision.FP32));
        }
    }

    @Test
    void loadingRefusesWhatTheProviderCannotRun() throws Exception {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 8, 3);
        var fp16 = new EngineTarget(Precision.FP16, "input", 3, Extent.square(32));
        var onCpu = assertThrows(IllegalArgumentException.class,
                () -> OnnxNetwork.load(teacher, InferenceOptions.cpu(1), fp16));
        assertEquals("fp16 runs on the tensorrt provider only, not cpu", onCpu.getMessage());
        var tensorRt = InferenceOptions.cpu(1).on(ExecutionProvider.TENSORRT, 0, Optional.of(dir.resolve("engines")));
        assertThrows(ProviderUnavailableException.class, () -> OnnxNetwork.load(teacher, tensorRt, fp16));
        try (OnnxNetwork onTheCpu = OnnxNetwork.load(teacher, InferenceOptions.cpu(1))) {
            assertTrue(onTheCpu.modelBytes() > 0);
        }
    }
}
