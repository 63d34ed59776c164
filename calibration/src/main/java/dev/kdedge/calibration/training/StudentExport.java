package dev.kdedge.calibration.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.network.GraphBlock;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a trained student to ONNX and proves the file serves the same network: ONNX Runtime runs the file on real
 * inputs and every output value must be within {@link #MAX_ABS_DIFFERENCE} of the trained network evaluated by
 * PyTorch in float64 (inference mode). The float64 reference measures the served model's own error; two float32
 * runs would add PyTorch's rounding to it, and on trained ResNet features (up to ~50) that alone nears 1e-4.
 */
public final class StudentExport {
    public static final double MAX_ABS_DIFFERENCE = 1e-4;

    private StudentExport() {}

    /**
     * Writes {@code onnxFile} and returns the largest difference; above {@code bound}, deletes the file and throws.
     *
     * @param samples the student's inputs for each sample, in the student's input order (one image, or the teacher's
     *     features: {@link dev.kdedge.calibration.method.StudentInput})
     * @param bound the largest difference accepted; {@link #MAX_ABS_DIFFERENCE} for every published version
     */
    public static double exportVerified(TrainedStudent student, List<List<FloatTensor>> samples,
            Path onnxFile, double bound) throws IOException, ExportParityException {
        try (OutputStream out = Files.newOutputStream(onnxFile)) {
            OnnxExporter.export(student.block(), "student").writeTo(out);
        }
        try {
            return verify(student, samples, onnxFile, bound);
        } catch (ExportParityException | IOException | RuntimeException e) {
            Files.deleteIfExists(onnxFile);
            throw e;
        }
    }

    /** The largest difference between the ONNX file and the trained student; throws above {@code bound}. */
    public static double verify(TrainedStudent student, List<List<FloatTensor>> samples, Path onnxFile,
            double bound)
            throws IOException, ExportParityException {
        double worst = 0;
        try (OnnxNetwork onnx = OnnxNetwork.load(onnxFile, InferenceOptions.cpu(2));
                NDManager manager = student.model().getNDManager().newSubManager()) {
            GraphBlock reference = student.block().copy(manager, DataType.FLOAT64,
                    samples.get(0).stream().map(input -> new Shape(input.shape())).toArray(Shape[]::new));
            for (List<FloatTensor> sample : samples) {
                List<FloatTensor> served = onnx.run(sample);
                NDList x = new NDList();
                for (FloatTensor input : sample) {
                    x.add(manager.create(input.data(), new Shape(input.shape())).toType(DataType.FLOAT64, false));
                }
                NDList trained = reference.forward(new ParameterStore(manager, false), x, false);
                for (int tap = 0; tap < served.size(); tap++) {
                    float[] a = served.get(tap).data();
                    double[] b = trained.get(tap).toDoubleArray();
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
        if (!(worst <= bound)) {
            throw new ExportParityException(String.format(
                    "exported student differs from the trained one by %.3g (bound %.0e); nothing was written", worst,
                    bound));
        }
        return worst;
    }
}
