package dev.kdedge.calibration.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a trained student to ONNX and proves the file serves the same network: PyTorch (inference mode) and ONNX
 * Runtime run the same real inputs and every output value must agree within {@link #MAX_ABS_DIFFERENCE}.
 */
public final class StudentExport {
    public static final double MAX_ABS_DIFFERENCE = 1e-4;

    private StudentExport() {}

    /** Writes {@code onnxFile} and returns the largest difference seen; throws (and deletes the file) above bound. */
    public static double exportVerified(TrainedStudent student, List<FloatTensor> samples, Path onnxFile)
            throws IOException, ExportParityException {
        try (OutputStream out = Files.newOutputStream(onnxFile)) {
            OnnxExporter.export(student.block(), "student").writeTo(out);
        }
        double worst = 0;
        try (OnnxNetwork onnx = OnnxNetwork.load(onnxFile, InferenceOptions.cpu(2));
                NDManager manager = student.model().getNDManager().newSubManager()) {
            for (FloatTensor sample : samples) {
                List<FloatTensor> served = onnx.run(sample);
                NDArray x = manager.create(sample.data(), new Shape(sample.shape()));
                NDList trained = student.block().forward(new ParameterStore(manager, false), new NDList(x), false);
                for (int tap = 0; tap < served.size(); tap++) {
                    float[] a = served.get(tap).data();
                    float[] b = trained.get(tap).toFloatArray();
                    if (a.length != b.length) {
                        throw new ExportParityException("output " + tap + " has " + a.length + " values in ONNX, "
                                + b.length + " in PyTorch");
                    }
                    for (int i = 0; i < a.length; i++) {
                        worst = Math.max(worst, Math.abs(a[i] - b[i]));
                    }
                }
                trained.close();
            }
        }
        if (!(worst <= MAX_ABS_DIFFERENCE)) {
            Files.deleteIfExists(onnxFile);
            throw new ExportParityException(String.format(
                    "exported student differs from the trained one by %.3g (bound %.0e); nothing was written", worst,
                    MAX_ABS_DIFFERENCE));
        }
        return worst;
    }
}
