package dev.kdedge.calibration.method.mkd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.network.AutogradBackprop;
import dev.kdedge.calibration.network.GraphBlock;
import dev.kdedge.calibration.network.NetworkCost;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.Node;
import dev.kdedge.calibration.network.OnnxBackprop;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.network.OnnxWeights;
import dev.kdedge.calibration.network.Op;
import dev.kdedge.calibration.network.ResNetGraphs;
import dev.kdedge.calibration.network.ServedStudent;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.OperatorSetIdProto;
import dev.kdedge.onnx.TensorProto;
import dev.kdedge.onnx.TypeProto;
import dev.kdedge.onnx.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cloner as the paper and METHODS.md size it, and its backward pass written as ONNX operators held to PyTorch's
 * autograd (DJL's PyTorch engine) on real images: vanilla gradients against autograd through the whole network,
 * guided ones against autograd node by node with the official hook's clamp at each ReLU. Autograd runs at ONNX
 * Runtime's forward values, so both take the same decision at every ReLU and max-pool and must agree within 1e-4 of
 * the largest gradient everywhere. Each on its own forward pass they need not: the gradient is piecewise in the
 * activations, and where the two float32 forward passes split a near tie (a ReLU input within rounding of 0, two
 * max-pool candidates within rounding of each other) the gradients differ downstream of it (relative L2 differences
 * from 1.6e-4 to 8.2e-3 seen with random weights).
 */
class MkdBackpropTest {
    /** Wider than tall, so a gradient carried back along the wrong axis cannot pass. */
    private static final Extent SIZE = new Extent(160, 96);
    private static final double RELATIVE_BOUND = 1e-4;

    @TempDir
    Path dir;

    @Test
    void clonersHaveThePapersWidthsAndAreFarSmallerThanTheirSources() {
        MkdCloner vgg = MkdCloner.of(List.of(128, 256, 512, 512));
        assertEquals("mkd-cloner-vgg16[16,16|16,128|16,16,256|16,16,512|16,16,512]", vgg.architecture());
        assertEquals(List.of(1, 2, 3), vgg.detectionTapIndices(), "detection on pool3..pool5 of pool2..pool5");
        MkdCloner resnet = MkdCloner.of(List.of(64, 128, 256));
        assertEquals("mkd-cloner-resnet[16,16|16,64|16,16,128|16,16,256]", resnet.architecture());
        assertEquals(List.of(0, 1, 2), resnet.detectionTapIndices());

        NetworkGraph cloner = resnet.graph();
        Map<String, Extent> sizes = cloner.spatialSizes(new Extent(256, 128));
        assertEquals(List.of(new Extent(64, 32), new Extent(32, 16), new Extent(16, 8)),
                cloner.outputs().stream().map(sizes::get).toList(), "the taps sit at layer1..layer3's resolutions");
        assertEquals(List.of(64, 128, 256), cloner.outputs().stream().map(cloner.channels()::get).toList());
        // ResNet-18 up to layer3: 2.78 M weights, 1.83 GMAC at 256 px; the cloner 0.10 M and 0.55 GMAC.
        assertEquals(102_000, NetworkCost.weights(cloner));
        assertEquals(2_782_784, NetworkCost.weights(ResNetGraphs.resnet18UpToLayer3(64)));
        System.out.printf("cloner %d weights, %.3f GMAC at 256 px; ResNet-18 layer1-3 %d weights, %.3f GMAC%n",
                NetworkCost.weights(cloner), NetworkCost.multiplyAdds(cloner, Extent.square(256)) / 1e9,
                NetworkCost.weights(ResNetGraphs.resnet18UpToLayer3(64)),
                NetworkCost.multiplyAdds(ResNetGraphs.resnet18UpToLayer3(64), Extent.square(256)) / 1e9);
    }

    @Test
    void servedGradientsEqualAutogradOnRealImages() throws Exception {
        Path data = Path.of(System.getProperty("kdedge.shared", "../shared")).resolve("data/magnetic-tile");
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isDirectory(data), "../shared is not beside this checkout");
        }
        NetworkGraph graph = MkdCloner.of(List.of(64, 128, 256)).graph();
        Path studentFile = dir.resolve("cloner.onnx");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            GraphBlock block = new GraphBlock(graph);
            block.setInitializer(new Mkd().initializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, SIZE.height(), SIZE.width()));
            // Running statistics away from 0 / 1, so BatchNorm's scale is exercised.
            for (String bn : batchNorms(graph)) {
                block.parameter(bn, "runningVar").set(manager.randomUniform(0.5f, 2f,
                        block.parameter(bn, "runningVar").getShape()).toFloatArray());
            }
            Files.write(studentFile, OnnxExporter.export(block, "cloner").toByteArray());
        }
        Map<String, OnnxWeights.Tensor> weights = OnnxWeights.read(studentFile);
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        Random random = new Random(7);
        try (OnnxNetwork vanilla = OnnxNetwork.load(backwardGraph(studentFile, graph, false, SIZE), "vanilla",
                        InferenceOptions.cpu(2));
                OnnxNetwork guided = OnnxNetwork.load(backwardGraph(studentFile, graph, true, SIZE), "guided",
                        InferenceOptions.cpu(2));
                AutogradBackprop autograd = new AutogradBackprop(graph, weights, SIZE)) {
            List<FloatTensor> images = new ArrayList<>();
            for (Path file : ImageFolders.normalTrainingImages(data).subList(0, 2)) {
                images.add(new Mkd().preprocessing(SIZE).apply(decoder.decodeFile(file)));
            }
            for (FloatTensor image : images) {
                List<FloatTensor> seeds = new ArrayList<>();
                for (String tap : graph.outputs()) {
                    Extent size = graph.spatialSizes(SIZE).get(tap);
                    int channels = graph.channels().get(tap);
                    float[] values = new float[channels * size.area()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) random.nextGaussian();
                    }
                    seeds.add(new FloatTensor(1, channels, size.height(), size.width(), values));
                }
                List<FloatTensor> inputs = new ArrayList<>(List.of(image));
                inputs.addAll(seeds);
                List<FloatTensor> vanillaOutputs = vanilla.run(inputs);
                List<FloatTensor> guidedOutputs = guided.run(inputs);
                float[] servedVanilla = vanillaOutputs.get(0).data();
                float[] servedGuided = guidedOutputs.get(0).data();

                // Exact: autograd's backward pass at ONNX Runtime's forward values, so both take the same decisions.
                assertClose(autograd.inputGradient(image, nodeValues(graph, vanillaOutputs), seeds, SEEDED, false)
                        .data(), servedVanilla, "vanilla, served vs autograd at the same forward values");
                assertClose(autograd.inputGradient(image, nodeValues(graph, guidedOutputs), seeds, SEEDED, true)
                        .data(), servedGuided, "guided, served vs autograd with the official ReLU hook");
                // And node-by-node autograd is autograd through the whole network (both on PyTorch's forward pass).
                assertClose(wholeNetworkGradient(graph, weights, image, seeds),
                        autograd.inputGradient(image, seeds, SEEDED, false).data(),
                        "node-by-node autograd vs autograd through the whole network");
                assertTrue(maxAbs(difference(servedVanilla, servedGuided)) > 1e-3 * maxAbs(servedVanilla),
                        "guided and vanilla gradients differ");
            }
        }
    }

    @Test
    void aMaxPoolWindowOfEqualValuesSendsItsGradientToTheFirstLikePyTorch() throws Exception {
        NetworkGraph.Builder builder = NetworkGraph.builder(3);
        NetworkGraph graph = builder.build(List.of(builder.maxPool("pool", builder.relu("relu", NetworkGraph.INPUT),
                2, 2, 0)));
        Path file = dir.resolve("pool.onnx");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            GraphBlock block = new GraphBlock(graph);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 8, 8));
            Files.write(file, OnnxExporter.export(block, "pool").toByteArray());
        }
        float[] flat = new float[3 * 8 * 8];
        Arrays.fill(flat, 0.5f);
        FloatTensor image = new FloatTensor(1, 3, 8, 8, flat);
        float[] seed = new float[3 * 4 * 4];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = i + 1;
        }
        List<FloatTensor> seeds = List.of(new FloatTensor(1, 3, 4, 4, seed));
        try (OnnxNetwork backward = OnnxNetwork.load(backwardGraph(file, graph, false, Extent.square(8)), "pool",
                InferenceOptions.cpu(1))) {
            float[] served = backward.run(List.of(image, seeds.get(0))).get(0).data();
            assertClose(wholeNetworkGradient(graph, Map.of(), image, seeds), served, "tied max-pool windows");
            assertEquals(1f, served[0]);
            assertEquals(0f, served[1], "only the first of a window's equal values gets the gradient");
        }
    }

    /** A loss whose gradient at each tap is the given seed: sum over taps of sum(student * seed). */
    private static final Loss SEEDED = new Loss("seeded") {
        @Override
        public NDArray evaluate(NDList seeds, NDList student) {
            NDArray total = null;
            for (int i = 0; i < student.size(); i++) {
                NDArray tap = student.get(i).mul(seeds.get(i)).sum();
                total = total == null ? tap : total.add(tap);
            }
            return total;
        }
    };

    private static float[] wholeNetworkGradient(NetworkGraph graph, Map<String, OnnxWeights.Tensor> weights,
            FloatTensor image, List<FloatTensor> seeds) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            GraphBlock block = new GraphBlock(graph);
            block.setInitializer(new Mkd().initializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, new Shape(image.shape()));
            block.loadWeights(weights);
            NDArray x = manager.create(image.data(), new Shape(image.shape()));
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDList taps = block.forward(new ParameterStore(manager, false), new NDList(x), false);
                NDList seeded = new NDList();
                for (FloatTensor seed : seeds) {
                    seeded.add(manager.create(seed.data(), new Shape(seed.shape())));
                }
                collector.backward(SEEDED.evaluate(seeded, taps));
                return x.getGradient().toFloatArray();
            }
        }
    }

    /**
     * The exported cloner with {@link OnnxBackprop} after it: inputs the image and one seed per tap; outputs the input
     * gradient, then every node's value in graph order.
     */
    private static byte[] backwardGraph(Path studentFile, NetworkGraph graph, boolean guided, Extent size)
            throws Exception {
        ModelProto student = ModelProto.parseFrom(Files.readAllBytes(studentFile));
        GraphProto.Builder g = student.getGraph().toBuilder().setName("backward").clearOutput();
        Map<String, String> seeds = new LinkedHashMap<>();
        for (String tap : graph.outputs()) {
            seeds.put(tap, "seed/" + tap);
            g.addInput(floatValue("seed/" + tap));
        }
        OnnxOps ops = new OnnxOps(g, OnnxExporter.OPSET, "backward/");
        String gradient = new OnnxBackprop(ops, new ServedStudent(graph, "", Map.of()), size, guided)
                .inputGradient(seeds);
        g.addOutput(floatValue(ops.identity(gradient, "input_gradient")));
        graph.nodes().forEach(node -> g.addOutput(floatValue(node.name())));
        return student.toBuilder().setGraph(g).clearOpsetImport()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxExporter.OPSET))
                .build().toByteArray();
    }

    private static ValueInfoProto floatValue(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))).build();
    }

    private static List<String> batchNorms(NetworkGraph graph) {
        return graph.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm)
                .map(Node::name).toList();
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double relative = maxAbs(difference(expected, actual)) / maxAbs(expected);
        System.out.printf("%s: max |difference| / max |gradient| = %.3g%n", what, relative);
        assertTrue(relative <= RELATIVE_BOUND, what + ": relative difference " + relative);
    }

    private static Map<String, FloatTensor> nodeValues(NetworkGraph graph, List<FloatTensor> outputs) {
        Map<String, FloatTensor> values = new LinkedHashMap<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            values.put(graph.nodes().get(i).name(), outputs.get(i + 1));
        }
        return values;
    }

    private static float[] difference(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
