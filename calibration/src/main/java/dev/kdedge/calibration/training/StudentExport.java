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
 * inputs and every output value must be within {@link #PARITY_BOUND} of the trained network evaluated by
 * PyTorch in float64 (inference mode), a tap's difference taken relative to its largest value where that exceeds 1.
 * The float64 reference measures the served model's own error; two float32 runs would add PyTorch's rounding to it.
 * Float32 rounds relative to a value's size, and trained students' features grow large on some products (an STFPM
 * student on 2:1 mosaics of magnetic tiles: differences of 6e-4 to 1e-3 where the absolute bound was 1e-4), so an
 * absolute bound refused sound exports there while a wrong weight still moves a tap by far more than 1e-4 of it.
 */
public final class StudentExport {
    /**
     * The exported student's bound (relative where a tap exceeds 1), and the served graph's on its score and map
     * (absolute: scores and maps are on the threshold's scale).
     */
    public static final double PARITY_BOUND = 1e-4;

    private StudentExport() {}

    /**
     * Writes {@code onnxFile} and returns the largest difference; above {@code bound}, deletes the file and throws.
     *
     * @param samples the student's inputs for each sample, in the student's input order (one image, or the teacher's
     *     features: {@link dev.kdedge.calibration.method.StudentInput})
     * @param bound the largest difference accepted; {@link #PARITY_BOUND} for every published version
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

    /**
     * The largest difference between the ONNX file and the trained student, each tap's relative to its largest value
     * where that exceeds 1; throws above {@code bound}.
     */
    public static double verify(TrainedStudent student, List<List<FloatTensor>> samples, Path onnxFile,
            double bound)
            throws IOException, ExportParityException {
        double[] tapDifference = null;
        double[] tapScale = null;
        try (OnnxNetwork onnx = OnnxNetwork.load(onnxFile, InferenceOptions.cpu(2));
                NDManager manager = student.model().getNDManager().newSubManager()) {
            GraphBlock reference = student.block().copy(manager, DataType.FLOAT64,
                    samples.get(0).stream().map(input -> new Shape(input.shape())).toArray(Shape[]::new));
            for (List<FloatTensor> sample : samples) {
                List<FloatTensor> served = onnx.run(sample);
                if (tapDifference == null) {
                    tapDifference = new double[served.size()];
                    tapScale = new double[served.size()];
                }
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
                        tapDifference[tap] = Math.max(tapDifference[tap], Math.abs(a[i] - b[i]));
                        tapScale[tap] = Math.max(tapScale[tap], Math.abs(b[i]));
                    }
                }
                trained.close();
            }
        }
        double worst = 0;
        int worstTap = 0;
        for (int tap = 0; tap < tapDifference.length; tap++) {
            double relative = tapDifference[tap] / Math.max(1, tapScale[tap]);
            if (!(relative <= worst)) {
                worst = relative;
                worstTap = tap;
            }
        }
        if (!(worst <= bound)) {
            throw new ExportParityException(String.format("exported student differs from the trained one by %.3g "
                    + "(output %d: %.3g where its values reach %.3g; bound %.0e); nothing was written", worst,
                    worstTap, tapDifference[worstTap], tapScale[worstTap], bound));
        }
        return worst;
    }
}
