package dev.kdedge.calibration.scoring;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kdedge.calibration.engine.EngineTarget;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.TileLayout;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.method.ServedMap;
import dev.kdedge.calibration.method.StudentGradient;
import dev.kdedge.calibration.network.AutogradBackprop;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.network.OnnxWeights;
import dev.kdedge.calibration.network.ServedStudent;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
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
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The one ONNX graph a product version is served with: the teacher on the preprocessed image, the student on what its
 * method feeds it (the same image, or the teacher's taps), then the method's anomaly map and image score ({@link
 * DistillationMethod#writeServedMap}). Input {@value #INPUT}
 * [N, 3, H, W]; outputs {@value #MAP} [N, 1, H, W] and {@value #SCORE} [N, 1, 1, 1]. The node serves it behind {@link
 * FrameInput}'s front ({@link #loadTakingFrames}), which takes the decoded frame at its own size and preprocesses it in
 * the graph. One session runs the whole computation, so nothing per pixel runs in Java on the request path but
 * decoding, and a GPU engine can fuse it end to end. A tiled product's graph cuts the image into its tiles before
 * the networks and stitches their maps after ({@link ServedTiles}), so its input and outputs are the whole image's
 * all the same. The teacher is part of each product's graph rather than a session shared between products: see
 * ARCHITECTURE.md.
 */
public final class ServedGraph {
    public static final String FILE = "served.onnx";
    public static final String INPUT = NetworkGraph.INPUT;
    public static final String MAP = "anomaly_map";
    public static final String SCORE = "score";
    private static final String TEACHER = "teacher/";
    private static final String STUDENT = "student/";
    /** The prefixes of the values the teacher and the student compute, as opposed to the method's map. */
    static final List<String> NETWORK_PREFIXES = List.of(TEACHER, STUDENT);

    private ServedGraph() {}

    /**
     * The served graph of a product version's teacher and exported student, for images cut into tiles as {@code
     * layout} says (whole, where the product is not tiled).
     *
     * @param teacherChannels the channels of the teacher's taps (its outputs, in order), which define the student
     * @param dontCare the product's don't-care region, taken out of the map and the score; null where every pixel
     *     counts
     */
    public static ModelProto compose(Path teacherFile, List<Integer> teacherChannels, Path studentFile,
            DistillationMethod method, TileLayout layout, DontCareMask dontCare) throws IOException {
        ModelProto teacher = parse(teacherFile);
        NetworkGraph studentGraph = method.studentGraph(teacherChannels);
        Map<String, Extent> sizes = studentGraph.spatialSizes(layout.tile());
        return compose(teacher, teacher.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList(),
                parse(studentFile), studentGraph, studentGraph.outputs().stream().map(sizes::get).toList(), method,
                layout, dontCare);
    }

    /**
     * Loads a version's served graph at {@code precision} as its fit wrote it (input {@value #INPUT}), the INT8 variant
     * being the one the options' provider runs as integers. A version published before served graphs existed has none
     * on disk: its fp32 graph is composed now from its teacher and student, as its fit would have written it.
     *
     * @throws IllegalArgumentException where the version has no such variant, saying why
     */
    public static OnnxNetwork load(ProductBundle bundle, Precision precision, InferenceOptions options)
            throws IOException {
        return load(bundle, precision, options.provider().int8Scheme(), options);
    }

    /**
     * As {@link #load(ProductBundle, Precision, InferenceOptions)}, with the INT8 variant named: ONNX Runtime on the
     * CPU runs the TensorRT one's rounding as written, which is how its quality is measured off the device.
     */
    public static OnnxNetwork load(ProductBundle bundle, Precision precision, QdqScheme int8Scheme,
            InferenceOptions options) throws IOException {
        Optional<Path> file = bundle.servedFile(precision, int8Scheme);
        if (file.isPresent()) {
            return OnnxNetwork.load(file.get(), options, target(bundle, precision));
        }
        return OnnxNetwork.load(composedAtLoad(bundle, precision, int8Scheme).toByteArray(),
                bundle.label() + " (served graph composed at load)", options, target(bundle, precision));
    }

    /**
     * What the node serves a version with: its served graph at {@code precision} behind {@link FrameInput}'s front,
     * taking camera frames, where its fit checked that front ({@code served.frameInputLevelsApart}). Loaded as it was
     * written, taking preprocessed images ({@link Scorer} preprocesses them in Java), are a version fitted before
     * frames went into the graph, and any version on TensorRT: TensorRT refuses the front's antialiased resize, and
     * how ONNX Runtime would split the graph between it and CUDA, and which inputs the engine's profile must then
     * name, has not been seen on a device.
     */
    public static OnnxNetwork loadTakingFrames(ProductBundle bundle, Precision precision, InferenceOptions options)
            throws IOException {
        return loadTakingFrames(bundle, precision, options.provider().int8Scheme(), options);
    }

    public static OnnxNetwork loadTakingFrames(ProductBundle bundle, Precision precision, QdqScheme int8Scheme,
            InferenceOptions options) throws IOException {
        Manifest.Served checked = bundle.manifest().served();
        if (checked == null || checked.frameInputLevelsApart() == null
                || options.provider() == ExecutionProvider.TENSORRT) {
            return load(bundle, precision, int8Scheme, options);
        }
        ModelProto graph = parse(bundle.servedFile(precision, int8Scheme)
                .orElseThrow(() -> new IllegalArgumentException(bundle.missing(precision, int8Scheme))));
        ModelProto served = FrameInput.prepend(graph, bundle.manifest().preprocessing())
                .orElseThrow(() -> new IOException(bundle.label() + ": its served graph predates opset "
                        + FrameInput.OPSET + " though its manifest records a frame input check"));
        return OnnxNetwork.load(served.toByteArray(), bundle.label() + " " + precision.label() + " (taking frames)",
                options, target(bundle, precision));
    }

    private static EngineTarget target(ProductBundle bundle, Precision precision) {
        return new EngineTarget(precision, INPUT, 3, bundle.manifest().preprocessing().size());
    }

    /**
     * A version published before served graphs existed has none on disk: its fp32 graph is composed from its teacher
     * and student, as its fit would have written it.
     *
     * @throws IllegalArgumentException where {@code precision} needs a graph of its own, saying why
     */
    private static ModelProto composedAtLoad(ProductBundle bundle, Precision precision, QdqScheme int8Scheme)
            throws IOException {
        if (precision.hasOwnGraph()) {
            throw new IllegalArgumentException(bundle.missing(precision, int8Scheme));
        }
        Manifest manifest = bundle.manifest();
        DistillationMethod method = Methods.named(manifest.method(), manifest.anomalyMap());
        return compose(bundle.teacherFile(), manifest.teacher().channels(), bundle.studentFile(), method,
                manifest.preprocessing().layout(), null);
    }

    /**
     * The differences between the served graph's anomaly maps and scores and the method's Java reference
     * computed from the teacher's and the exported student's features (and, for a method that localizes by gradients,
     * PyTorch autograd through the exported student's weights), over {@code images} ([1, 3, H, W] each), tile by tile
     * and stitched as {@code layout} says; with a don't-care region (null: none) taken out of the reference as the
     * served graph takes it out.
     */
    public static MapParity difference(OnnxNetwork served, OnnxNetwork teacher, Path studentFile,
            List<Integer> teacherChannels, DistillationMethod method, List<FloatTensor> images, TileLayout layout,
            DontCareMask dontCare, InferenceOptions options) throws IOException {
        NetworkGraph studentGraph = method.studentGraph(teacherChannels);
        AutogradBackprop[] backprop = new AutogradBackprop[1];
        double scoreMax = 0;
        double mapMax = 0;
        double mapSum = 0;
        long mapValues = 0;
        try (OnnxNetwork student = OnnxNetwork.load(studentFile, options)) {
            for (FloatTensor image : images) {
                List<AnomalyMap> tileMaps = new ArrayList<>(layout.count());
                for (FloatTensor tile : layout.cut(image)) {
                    List<FloatTensor> teacherTaps = teacher.run(tile);
                    List<FloatTensor> studentTaps = student.run(method.studentInput().of(tile, teacherTaps));
                    StudentGradient gradient = (loss, guided) -> {
                        if (backprop[0] == null) {
                            try {
                                backprop[0] = new AutogradBackprop(studentGraph, OnnxWeights.read(studentFile),
                                        tile.spatialSize());
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                        return backprop[0].inputGradient(tile, teacherTaps, loss, guided);
                    };
                    tileMaps.add(method.anomalyMap(teacherTaps, studentTaps, 0, tile.spatialSize(), gradient));
                }
                AnomalyMap reference = stitched(tileMaps, layout, method.scoresByMapMaximum());
                if (dontCare != null) {
                    reference = reference.without(dontCare.at(image.width(), image.height()));
                }
                List<FloatTensor> outputs = served.run(image);
                float[] map = outputs.get(0).data();
                if (map.length != reference.values().length) {
                    return new MapParity(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
                }
                for (int i = 0; i < map.length; i++) {
                    double difference = Math.abs(map[i] - reference.values()[i]);
                    mapMax = Math.max(mapMax, difference);
                    mapSum += difference;
                }
                mapValues += map.length;
                scoreMax = Math.max(scoreMax, Math.abs(outputs.get(1).data()[0] - reference.score()));
            }
        } finally {
            if (backprop[0] != null) {
                backprop[0].close();
            }
        }
        return new MapParity(scoreMax, mapMax, mapSum / mapValues);
    }

    /** The image's reference map from its tiles' as {@link ServedTiles#stitch} computes it. */
    private static AnomalyMap stitched(List<AnomalyMap> tiles, TileLayout layout, boolean scoresByMapMaximum) {
        if (layout.isWhole()) {
            return tiles.get(0);
        }
        float[] map = layout.stitch(tiles.stream().map(AnomalyMap::values).toList());
        if (scoresByMapMaximum) {
            return AnomalyMap.scoredByMaximum(layout.image().width(), layout.image().height(), map);
        }
        float score = Float.NEGATIVE_INFINITY;
        for (AnomalyMap tile : tiles) {
            score = Math.max(score, tile.score());
        }
        return new AnomalyMap(layout.image().width(), layout.image().height(), map, score);
    }

    private static ModelProto parse(Path onnx) throws IOException {
        try (InputStream in = Files.newInputStream(onnx)) {
            return ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("Cannot load ONNX model " + onnx + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param teacherTaps the teacher's outputs the method reads, in tap order
     * @param tapSizes the size of each tap's feature map for a tile of {@code layout}
     */
    private static ModelProto compose(ModelProto teacher, List<String> teacherTaps, ModelProto student,
            NetworkGraph studentGraph, List<Extent> tapSizes, DistillationMethod method, TileLayout layout,
            DontCareMask dontCare) {
        long opset = Math.max(FrameInput.OPSET, defaultOpset(teacher));
        GraphProto.Builder g = GraphProto.newBuilder().setName(method.name() + "-served");
        g.addInput(value(INPUT, TensorProto.DataType.FLOAT, "batch", "3", "height", "width"));
        String networkInput = layout.isWhole() ? INPUT : ServedTiles.cut(new OnnxOps(g, opset, "tiles/"), INPUT, layout);
        List<String> teacherValues = teacherTaps.stream().map(t -> TEACHER + t).toList();
        include(teacher.getGraph(), name -> name.equals(INPUT) ? networkInput : name.isEmpty() ? name : TEACHER + name,
                g);
        List<String> studentSources = method.studentInput().of(networkInput, teacherValues);
        Map<String, String> studentInputs = new HashMap<>();
        for (int i = 0; i < studentSources.size(); i++) {
            studentInputs.put(studentGraph.inputs().get(i).name(), studentSources.get(i));
        }
        ServedStudent servedStudent = new ServedStudent(studentGraph, STUDENT, studentInputs);
        include(student.getGraph(), servedStudent::value, g);
        OnnxOps ops = new OnnxOps(g, opset, "map/");
        ServedMap served = method.writeServedMap(ops, teacherValues, servedStudent, tapSizes, layout.tile());
        if (!layout.isWhole()) {
            served = ServedTiles.stitch(ops, served, layout, method.scoresByMapMaximum());
        }
        Extent imageSize = layout.image();
        if (dontCare != null) {
            served = leavingOut(ops, served, method, dontCare.at(imageSize.width(), imageSize.height()), imageSize);
        }
        ops.identity(served.map(), MAP);
        ops.identity(served.score(), SCORE);
        g.addOutput(value(MAP, TensorProto.DataType.FLOAT, "batch", "1", "height", "width"));
        g.addOutput(value(SCORE, TensorProto.DataType.FLOAT, "batch", "1", "1", "1"));
        // opset 18 comes with IR version 8 (ONNX's versioning table)
        return ModelProto.newBuilder().setIrVersion(Math.max(8, teacher.getIrVersion()))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName("kdedge").setGraph(g).build();
    }

    /**
     * The map zeroed where the don't-care mask lies and the score its maximum again ({@link AnomalyMap#without}), for
     * a method whose score is its map's maximum: the region is out of both.
     */
    private static ServedMap leavingOut(OnnxOps ops, ServedMap served, DistillationMethod method, boolean[] dontCare,
            Extent size) {
        if (!method.scoresByMapMaximum()) {
            throw new IllegalArgumentException(method.name() + " does not score a part by its anomaly map's maximum: "
                    + "a don't-care mask cannot take a region out of its score");
        }
        float[] counts = new float[dontCare.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = dontCare[i] ? 0 : 1;
        }
        String map = ops.mul(served.map(), ops.plane(counts, size));
        return new ServedMap(map, ops.reduceMax(map, true, 1, 2, 3));
    }

    /** Adds {@code graph}'s nodes and weights to {@code into}, every name (its inputs' too) as {@code served} says. */
    private static void include(GraphProto graph, UnaryOperator<String> served, GraphProto.Builder into) {
        for (TensorProto initializer : graph.getInitializerList()) {
            into.addInitializer(initializer.toBuilder().setName(served.apply(initializer.getName())));
        }
        for (NodeProto node : graph.getNodeList()) {
            NodeProto.Builder renamed = node.toBuilder().clearInput().clearOutput()
                    .setName(served.apply(node.getName()));
            node.getInputList().forEach(name -> renamed.addInput(served.apply(name)));
            node.getOutputList().forEach(name -> renamed.addOutput(served.apply(name)));
            into.addNode(renamed);
        }
    }

    private static long defaultOpset(ModelProto model) {
        return model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToLong(OperatorSetIdProto::getVersion).max().orElse(OnnxExporter.OPSET);
    }

    /** A graph input or output of {@code type}; each of {@code dims} a size, or else the name of a dynamic one. */
    static ValueInfoProto value(String name, TensorProto.DataType type, String... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (String dim : dims) {
            shape.addDim(dim.chars().allMatch(Character::isDigit)
                    ? TensorShapeProto.Dimension.newBuilder().setDimValue(Long.parseLong(dim))
                    : TensorShapeProto.Dimension.newBuilder().setDimParam(dim));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }
}
