package dev.kdedge.calibration.engine;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A feature network (teacher or student) served by DJL's ONNX Runtime engine: an NCHW image batch in, the model's
 * feature maps out, in the model's output order. Thread-safe: ONNX Runtime sessions accept concurrent runs. Every
 * native tensor of a run lives in a per-call manager that is closed before {@link #run} returns.
 */
public final class OnnxNetwork implements AutoCloseable {
    private final ZooModel<NDList, NDList> model;
    private final long fileBytes;

    private OnnxNetwork(ZooModel<NDList, NDList> model, long fileBytes) {
        this.model = model;
        this.fileBytes = fileBytes;
    }

    public static OnnxNetwork load(Path onnxFile, InferenceOptions options) throws IOException {
        if (!Files.isRegularFile(onnxFile)) {
            throw new IOException("ONNX model not found: " + onnxFile);
        }
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(onnxFile)
                .optEngine("OnnxRuntime")
                .optTranslator(new NoopTranslator())
                // DJL applies intraOpNumThreads only when interOpNumThreads is given too.
                .optOption("interOpNumThreads", Integer.toString(options.interOpThreads()))
                .optOption("intraOpNumThreads", Integer.toString(options.intraOpThreads()))
                .optOption("optLevel", "ALL_OPT")
                .build();
        try {
            return new OnnxNetwork(criteria.loadModel(), Files.size(onnxFile));
        } catch (ModelNotFoundException | MalformedModelException e) {
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
