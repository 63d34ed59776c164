package dev.kdedge.calibration.engine;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.text.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where ONNX Runtime runs a network. Which ones exist depends on the ONNX Runtime build the JVM loaded, not on this
 * project: the Maven jar is CPU only; a Jetson runs a build made with TensorRT and CUDA (README, "Serving on the
 * device's GPU").
 */
public enum ExecutionProvider {
    CPU(OrtProvider.CPU, "CPU") {
        @Override
        void addTo(OrtSession.SessionOptions session, InferenceOptions options, EngineTarget target,
                String modelDigest) {
            // ONNX Runtime's default: nothing to add.
        }
    },
    CUDA(OrtProvider.CUDA, "CUDA") {
        @Override
        void addTo(OrtSession.SessionOptions session, InferenceOptions options, EngineTarget target,
                String modelDigest) throws OrtException, IOException {
            session.addCUDA(options.gpu());
        }
    },
    TENSORRT(OrtProvider.TENSOR_RT, "TensorRT") {
        @Override
        void addTo(OrtSession.SessionOptions session, InferenceOptions options, EngineTarget target,
                String modelDigest) throws OrtException, IOException {
            Map<String, String> settings = TensorRtOptions.of(options, target, modelDigest, GpuPlatform.local());
            for (String directory : new String[] {"trt_engine_cache_path", "trt_timing_cache_path"}) {
                if (settings.containsKey(directory)) {
                    Files.createDirectories(Path.of(settings.get(directory)));
                }
            }
            try (OrtTensorRTProviderOptions tensorRt = new OrtTensorRTProviderOptions(options.gpu())) {
                for (var setting : settings.entrySet()) {
                    tensorRt.add(setting.getKey(), setting.getValue());
                }
                session.addTensorrt(tensorRt);
            }
            // Nodes TensorRT does not take run on CUDA rather than on the CPU.
            session.addCUDA(options.gpu());
        }
    };

    private final OrtProvider ortProvider;
    private final String displayName;

    ExecutionProvider(OrtProvider ortProvider, String displayName) {
        this.ortProvider = ortProvider;
        this.displayName = displayName;
    }

    abstract void addTo(OrtSession.SessionOptions session, InferenceOptions options, EngineTarget target,
            String modelDigest) throws OrtException, IOException;

    /** As configuration and the CLI spell it: {@code cpu}, {@code cuda}, {@code tensorrt}. */
    public String label() {
        return Labels.of(this);
    }

    /** Why this provider does not run {@code precision}; empty where it does. FP16 is TensorRT's to build. */
    public Optional<String> cannotRun(Precision precision) {
        if (precision == Precision.FP16 && this != TENSORRT) {
            return Optional.of("fp16 runs on the tensorrt provider only, not " + label());
        }
        return Optional.empty();
    }

    /**
     * The INT8 variant this provider serves. CUDA serves ONNX Runtime's: it has no integer convolution of its own and
     * runs either variant's Q/DQ pairs as written.
     */
    public QdqScheme int8Scheme() {
        return this == TENSORRT ? QdqScheme.TENSORRT : QdqScheme.ONNX_RUNTIME;
    }

    /** @throws IllegalArgumentException naming the providers there are */
    public static ExecutionProvider of(String label) {
        return Labels.parse(ExecutionProvider.class, label, "execution provider");
    }

    /** The providers the ONNX Runtime this JVM loaded was built with. */
    public static Set<OrtProvider> available() {
        return OrtEnvironment.getAvailableProviders();
    }

    /** The version of the ONNX Runtime native library this JVM loaded. */
    public static String onnxRuntimeVersion() {
        // DJL's engine makes the process's one environment with its thread settings; one made before it fails it.
        Engine.getEngine("OnnxRuntime");
        return OrtEnvironment.getEnvironment().getVersion();
    }

    /**
     * @throws ProviderUnavailableException where this JVM's ONNX Runtime lacks the provider, saying which build it
     *     has and how to get one with it
     */
    public void requireAvailable() {
        String missing = missingFrom(available(), onnxRuntimeVersion());
        if (missing != null) {
            throw new ProviderUnavailableException(missing);
        }
    }

    /** Why a build with {@code available} providers cannot run this one; null where it can. */
    String missingFrom(Set<OrtProvider> available, String onnxRuntimeVersion) {
        if (available.contains(ortProvider)) {
            return null;
        }
        return "execution provider " + label() + " is not in this ONNX Runtime: version " + onnxRuntimeVersion
                + " with " + available.stream().map(OrtProvider::name).sorted().toList() + " (the CPU-only build "
                + "from Maven unless -Donnxruntime.native.path names another). " + displayName + " needs an ONNX "
                + "Runtime " + onnxRuntimeVersion + " built with " + (this == CUDA ? "--use_cuda" : "--use_cuda "
                + "--use_tensorrt") + " --build_java and its libraries' directory given as -Donnxruntime.native.path "
                + "(README, \"Serving on the device's GPU\"); or set inference.provider: cpu";
    }
}
