package dev.kdedge.calibration.engine;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.onnxruntime.engine.OrtNDManager;
import ai.djl.onnxruntime.engine.OrtSymbolBlock;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;

/**
 * A network (teacher, student or served graph) run by DJL's ONNX Runtime engine: NCHW batches in, in the model's
 * input order (or 8-bit frames, {@link #runFrames}), its NCHW outputs out, in the model's output order. Thread-safe: ONNX Runtime sessions accept concurrent runs. Every
 * native tensor of a run lives in a per-call manager that is closed before {@link #run} returns.
 */
public final class OnnxNetwork implements AutoCloseable {
    private final Model model;
    private final long modelBytes;

    private OnnxNetwork(Model model, long modelBytes) {
        this.model = model;
        this.modelBytes = modelBytes;
    }

    /** A network loaded for its own sake (a teacher, a student being fitted): fp32, shapes as they come. */
    public static OnnxNetwork load(Path onnxFile, InferenceOptions options) throws IOException {
        return load(onnxFile, options, EngineTarget.ANY_FP32);
    }

    /** A served graph, built for {@code target} where the provider builds engines (TensorRT). */
    public static OnnxNetwork load(Path onnxFile, InferenceOptions options, EngineTarget target) throws IOException {
        if (!Files.isRegularFile(onnxFile)) {
            throw new IOException("ONNX model not found: " + onnxFile);
        }
        return load(onnxFile.getFileName().toString(), Files.size(onnxFile), options, target,
                () -> Digests.sha256(onnxFile),
                (model, session) -> model.load(onnxFile, null, Map.of("sessionOptions", session)));
    }

    /**
     * A model held in memory (a graph composed at load), named {@code name} in errors. Its bytes go to ONNX Runtime
     * as they are: DJL's loader reads a model handed to it as a stream into a growing buffer and copies that, about
     * four times the model on the heap at once (an RD4AD served graph is 73 MB).
     */
    public static OnnxNetwork load(byte[] onnx, String name, InferenceOptions options) throws IOException {
        return load(onnx, name, options, EngineTarget.ANY_FP32);
    }

    public static OnnxNetwork load(byte[] onnx, String name, InferenceOptions options, EngineTarget target)
            throws IOException {
        return load(name, onnx.length, options, target, () -> Digests.sha256(onnx), (model, session) -> {
            try {
                model.setBlock(new OrtSymbolBlock(OrtEnvironment.getEnvironment().createSession(onnx, session),
                        (OrtNDManager) model.getNDManager()));
            } catch (OrtException e) {
                throw new MalformedModelException("ONNX Runtime cannot load the model", e);
            }
        });
    }

    @FunctionalInterface
    private interface Loader {
        void load(Model model, OrtSession.SessionOptions session) throws IOException, MalformedModelException;
    }

    /** The model's SHA-256, which names its TensorRT engines; computed only for a provider that caches engines. */
    @FunctionalInterface
    private interface Digest {
        String sha256() throws IOException;
    }

    private static OnnxNetwork load(String name, long bytes, InferenceOptions options, EngineTarget target,
            Digest digest, Loader loader) throws IOException {
        ExecutionProvider provider = options.provider();
        Optional<String> cannotRun = provider.cannotRun(target.precision());
        if (cannotRun.isPresent()) {
            throw new IllegalArgumentException(cannotRun.get());
        }
        if (provider != ExecutionProvider.CPU) {
            provider.requireAvailable();
        }
        String modelDigest = provider == ExecutionProvider.TENSORRT ? digest.sha256() : null;
        Model model = Model.newInstance(name, Device.cpu(), "OnnxRuntime");
        try (OrtSession.SessionOptions session = new OrtSession.SessionOptions()) {
            session.setIntraOpNumThreads(options.intraOpThreads());
            session.setInterOpNumThreads(options.interOpThreads());
            session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // Threads that spin after a run steal the cores from whatever runs next (measured when the teacher and
            // the student were two sessions run back to back: 46 ms instead of 28 ms for the teacher on 2 cores).
            session.addConfigEntry("session.intra_op.allow_spinning", "0");
            // Trained students produce denormal activations, which the CPU handles slowly: MT-256's 30-epoch product
            // scored in 52.2 ms an image instead of 46.8 ms, with identical metrics once they are flushed to zero.
            session.addConfigEntry("session.set_denormal_as_zero", "1");
            provider.addTo(session, options, target, modelDigest);
            loader.load(model, session);
            return new OnnxNetwork(model, bytes);
        } catch (OrtException | MalformedModelException | IOException | RuntimeException e) {
            model.close();
            throw new IOException("Cannot load ONNX model " + name + " on " + provider.label() + ": " + e.getMessage(),
                    e);
        }
    }

    /** Size of the model, the cache's proxy for the native memory the session holds. */
    public long modelBytes() {
        return modelBytes;
    }

    /** The names of the model's inputs, in order. */
    public List<String> inputNames() {
        return model.getBlock().describeInput().keys();
    }

    public List<FloatTensor> run(FloatTensor input) {
        return run(List.of(input));
    }

    /** Runs a model with several inputs, given in the model's input order. */
    public List<FloatTensor> run(List<FloatTensor> inputs) {
        return run(floats(inputs));
    }

    /**
     * Runs a model whose inputs are 8-bit frames and the channel of each that holds red, green and blue (a served
     * graph taking frames): {@code pixels} holds {@code shape} [N, H, W, C], interleaved.
     */
    public List<FloatTensor> runFrames(ByteBuffer pixels, long[] shape, long[] channelSources) {
        return run(manager -> new NDList(manager.create(pixels, new Shape(shape), DataType.UINT8),
                manager.create(channelSources)));
    }

    /**
     * Runs a model and hands each output's values to {@code each} with the output's index, one output at a time and
     * none kept: for outputs too large to hold together on the heap (every activation of a graph, observed for INT8
     * calibration, is several times the input's size).
     */
    public void runEachOutput(FloatTensor input, ObjIntConsumer<float[]> each) {
        forward(floats(List.of(input)), (out, index) -> {
            each.accept(out.toFloatArray(), index);
            out.close();
        });
    }

    private List<FloatTensor> run(Function<NDManager, NDList> inputs) {
        List<FloatTensor> outputs = new ArrayList<>();
        forward(inputs, (out, index) -> {
            long[] s = out.getShape().getShape();
            outputs.add(new FloatTensor((int) s[0], (int) s[1], (int) s[2], (int) s[3], out.toFloatArray()));
        });
        return outputs;
    }

    /** Runs the model on inputs made in a per-call manager and hands each output, in order, to {@code each}. */
    private void forward(Function<NDManager, NDList> inputs, ObjIntConsumer<NDArray> each) {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDList outputs = model.getBlock().forward(new ParameterStore(manager, false), inputs.apply(manager), false);
            for (int i = 0; i < outputs.size(); i++) {
                each.accept(outputs.get(i), i);
            }
        }
    }

    private static Function<NDManager, NDList> floats(List<FloatTensor> inputs) {
        return manager -> {
            NDList x = new NDList();
            for (FloatTensor input : inputs) {
                x.add(manager.create(input.data(), new Shape(input.shape())));
            }
            return x;
        };
    }

    @Override
    public void close() {
        model.close();
    }
}
