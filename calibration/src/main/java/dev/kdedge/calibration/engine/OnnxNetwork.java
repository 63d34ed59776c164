package dev.kdedge.calibration.engine;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A feature network (teacher or student) served by DJL's ONNX Runtime engine: an NCHW image batch in, the model's
 * feature maps out, in the model's output order. Thread-safe: ONNX Runtime sessions accept concurrent runs. Every
 * native tensor of a run lives in a per-call manager that is closed before {@link #run} returns.
 */
public final class OnnxNetwork implements AutoCloseable {
    private final Model model;
    private final long fileBytes;

    private OnnxNetwork(Model model, long fileBytes) {
        this.model = model;
        this.fileBytes = fileBytes;
    }

    public static OnnxNetwork load(Path onnxFile, InferenceOptions options) throws IOException {
        if (!Files.isRegularFile(onnxFile)) {
            throw new IOException("ONNX model not found: " + onnxFile);
        }
        Model model = Model.newInstance(onnxFile.getFileName().toString(), Device.cpu(), "OnnxRuntime");
        try (OrtSession.SessionOptions session = new OrtSession.SessionOptions()) {
            session.setIntraOpNumThreads(options.intraOpThreads());
            session.setInterOpNumThreads(options.interOpThreads());
            session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // A node runs a teacher and a student session back to back; threads that spin after a run steal the
            // cores from the next session (measured: 46 ms instead of 28 ms for the teacher on 2 cores).
            session.addConfigEntry("session.intra_op.allow_spinning", "0");
            // Trained students produce denormal activations, which the CPU handles slowly: MT-256's 30-epoch product
            // scored in 52.2 ms an image instead of 46.8 ms, with identical metrics once they are flushed to zero.
            session.addConfigEntry("session.set_denormal_as_zero", "1");
            model.load(onnxFile, null, Map.of("sessionOptions", session));
            return new OnnxNetwork(model, Files.size(onnxFile));
        } catch (OrtException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException("Cannot load ONNX model " + onnxFile + ": " + e.getMessage(), e);
        }
    }

    /** Size of the model file, the cache's proxy for the native memory the session holds. */
    public long fileBytes() {
        return fileBytes;
    }

    public List<FloatTensor> run(FloatTensor input) {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray x = manager.create(input.data(), new Shape(input.shape()));
            x.setName("input");
            NDList outputs = model.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false);
            List<FloatTensor> features = new ArrayList<>(outputs.size());
            for (NDArray out : outputs) {
                long[] s = out.getShape().getShape();
                features.add(new FloatTensor((int) s[0], (int) s[1], (int) s[2], (int) s[3], out.toFloatArray()));
            }
            outputs.close();
            return features;
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
