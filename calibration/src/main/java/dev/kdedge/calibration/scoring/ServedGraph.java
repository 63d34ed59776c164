package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.OperatorSetIdProto;
import dev.kdedge.onnx.TensorProto;
import dev.kdedge.onnx.TensorShapeProto;
import dev.kdedge.onnx.TypeProto;
import dev.kdedge.onnx.ValueInfoProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one ONNX graph a product version is served with: the teacher on the preprocessed image, the student on what its
 * method feeds it (the same image, or the teacher's taps), then the method's anomaly map and image score ({@link
 * DistillationMethod#writeServedMap}). Input {@value #INPUT}
 * [N, 3, S, S]; outputs {@value #MAP} [N, 1, S, S] and {@value #SCORE} [N, 1, 1, 1]. One session runs the whole
 * computation, so nothing per pixel runs in Java on the request path and a GPU engine can fuse it end to end. The
 * teacher is part of each product's graph rather than a session shared between products: see ARCHITECTURE.md.
 */
public final class ServedGraph {
    public static final String FILE = "served.onnx";
    public static final String INPUT = NetworkGraph.INPUT;
    public static final String MAP = "anomaly_map";
    public static final String SCORE = "score";
    private static final String TEACHER = "teacher/";
    private static final String STUDENT = "student/";

    private ServedGraph() {}

    /**
     * The served graph of a product version's teacher and exported student, for images of {@code inputSize}.
     *
     * @param teacherChannels the channels of the teacher's taps (its outputs, in order), which define the student
     */
    public static ModelProto compose(Path teacherFile, List<Integer> teacherChannels, Path studentFile,
            DistillationMethod method, int inputSize) throws IOException {
        ModelProto teacher = parse(teacherFile);
        NetworkGraph studentGraph = method.studentGraph(teacherChannels);
        Map<String, Integer> sides = studentGraph.spatialSizes(inputSize);
        return compose(teacher, teacher.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList(),
                parse(studentFile), studentGraph, studentGraph.outputs().stream().map(sides::get).toList(), method,
                inputSize);
    }

    /**
     * Loads a version's served graph. A version published before served graphs existed has none on disk: its graph
     * is composed now from its teacher and student, as its fit would have written it.
     */
    public static OnnxNetwork load(ProductBundle bundle, InferenceOptions options) throws IOException {
        if (bundle.servedFile() != null) {
            return OnnxNetwork.load(bundle.servedFile(), options);
        }
        Manifest manifest = bundle.manifest();
        return OnnxNetwork.load(compose(bundle.teacherFile(), manifest.teacher().channels(), bundle.studentFile(),
                Methods.named(manifest.method()), manifest.preprocessing().size()).toByteArray(),
                bundle.label() + " (served graph composed at load)", options);
    }

    /**
     * The largest difference between the served graph's anomaly maps and scores and the method's Java reference
     * computed from the teacher's and the exported student's features, over {@code images} ([1, 3, S, S] each).
     */
    public static double difference(OnnxNetwork served, OnnxNetwork teacher, OnnxNetwork student,
            DistillationMethod method, List<FloatTensor> images) {
        double worst = 0;
        for (FloatTensor image : images) {
            List<FloatTensor> teacherTaps = teacher.run(image);
            List<FloatTensor> studentTaps = student.run(method.studentInput().of(image, teacherTaps));
            AnomalyMap reference = method.anomalyMap(teacherTaps, studentTaps, 0, image.height());
            List<FloatTensor> outputs = served.run(image);
            float[] map = outputs.get(0).data();
            if (map.length != reference.values().length) {
                return Double.POSITIVE_INFINITY;
            }
            for (int i = 0; i < map.length; i++) {
                worst = Math.max(worst, Math.abs(map[i] - reference.values()[i]));
            }
            worst = Math.max(worst, Math.abs(outputs.get(1).data()[0] - reference.score()));
        }
        return worst;
    }

    private static ModelProto parse(Path onnx) throws IOException {
        try (InputStream in = Files.newInputStream(onnx)) {
            return ModelProto.parseFrom(in);
        }
    }

    /**
     * @param teacherTaps the teacher's outputs the method reads, in tap order
     * @param tapSides the side of each tap's feature map for an input of {@code inputSize}
     */
    private static ModelProto compose(ModelProto teacher, List<String> teacherTaps, ModelProto student,
            NetworkGraph studentGraph, List<Integer> tapSides, DistillationMethod method, int inputSize) {
        long opset = Math.max(OnnxExporter.OPSET, defaultOpset(teacher));
        GraphProto.Builder g = GraphProto.newBuilder().setName(method.name() + "-served");
        g.addInput(value(INPUT, "3", "height", "width"));
        List<String> teacherValues = teacherTaps.stream().map(t -> TEACHER + t).toList();
        include(teacher.getGraph(), TEACHER, Map.of(INPUT, INPUT), g);
        List<String> studentSources = method.studentInput().of(INPUT, teacherValues);
        Map<String, String> studentInputs = new HashMap<>();
        for (int i = 0; i < studentSources.size(); i++) {
            studentInputs.put(studentGraph.inputs().get(i).name(), studentSources.get(i));
        }
        include(student.getGraph(), STUDENT, studentInputs, g);
        OnnxOps ops = new OnnxOps(g, opset, "map/");
        ServedMap served = method.writeServedMap(ops, teacherValues,
                studentGraph.outputs().stream().map(t -> STUDENT + t).toList(), tapSides, inputSize);
        ops.identity(served.map(), MAP);
        ops.identity(served.score(), SCORE);
        g.addOutput(value(MAP, "1", "height", "width"));
        g.addOutput(value(SCORE, "1", "1", "1"));
        return ModelProto.newBuilder().setIrVersion(teacher.getIrVersion() > 0 ? teacher.getIrVersion() : 7)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName("kdedge").setGraph(g).build();
    }

    /**
     * Adds {@code graph}'s nodes and weights to {@code into}, its inputs read from the values {@code inputs} maps them
     * to, every other name under {@code prefix}.
     */
    private static void include(GraphProto graph, String prefix, Map<String, String> inputs,
            GraphProto.Builder into) {
        for (TensorProto initializer : graph.getInitializerList()) {
            into.addInitializer(initializer.toBuilder().setName(prefix + initializer.getName()));
        }
        for (NodeProto node : graph.getNodeList()) {
            NodeProto.Builder renamed = node.toBuilder().clearInput().clearOutput()
                    .setName(prefix + node.getName());
            node.getInputList().forEach(name -> renamed.addInput(renamed(name, prefix, inputs)));
            node.getOutputList().forEach(name -> renamed.addOutput(renamed(name, prefix, inputs)));
            into.addNode(renamed);
        }
    }

    private static String renamed(String name, String prefix, Map<String, String> inputs) {
        return name.isEmpty() ? name : inputs.getOrDefault(name, prefix + name);
    }

    private static long defaultOpset(ModelProto model) {
        return model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToLong(OperatorSetIdProto::getVersion).max().orElse(OnnxExporter.OPSET);
    }

    private static ValueInfoProto value(String name, String channels, String height, String width) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (String dim : List.of(channels, height, width)) {
            shape.addDim(dim.chars().allMatch(Character::isDigit)
                    ? TensorShapeProto.Dimension.newBuilder().setDimValue(Long.parseLong(dim))
                    : TensorShapeProto.Dimension.newBuilder().setDimParam(dim));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }
}
