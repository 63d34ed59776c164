package dev.kdedge.calibration.network;

import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The float initializers of an ONNX model by name: how a fine-tune starts from the student a version serves. */
public final class OnnxWeights {
    /** One initializer: row-major values and their dimensions. */
    public record Tensor(long[] dims, float[] values) {}

    private OnnxWeights() {}

    public static Map<String, Tensor> read(Path onnxFile) throws IOException {
        ModelProto model;
        try (InputStream in = Files.newInputStream(onnxFile)) {
            model = ModelProto.parseFrom(in);
        }
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                throw new IOException(onnxFile + ": initializer " + t.getName() + " is not float32");
            }
            weights.put(t.getName(), of(t));
        }
        return weights;
    }

    /** A float32 initializer's values, whether stored raw or as a list. */
    public static Tensor of(TensorProto t) {
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        float[] values;
        if (!t.getRawData().isEmpty()) {
            values = new float[t.getRawData().size() / Float.BYTES];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            values = new float[t.getFloatDataCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.getFloatData(i);
            }
        }
        return new Tensor(dims, values);
    }
}
