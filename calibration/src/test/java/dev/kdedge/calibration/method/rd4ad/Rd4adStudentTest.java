package dev.kdedge.calibration.method.rd4ad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.network.GraphBlock;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.Node;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.network.Op;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RD4AD's bottleneck and decoder against the official code's structure, for both teacher families. */
class Rd4adStudentTest {

    /**
     * The official ResNet-18 pairing ({@code BN_layer(AttnBasicBlock, 2)} and {@code de_resnet18}) has 11,680,000
     * trainable parameters in the OCBE's forward pass (12,205,312 with the declared, never called 1x1 fusion conv) and
     * 3,703,168 in the decoder, counted with PyTorch's {@code parameters()} on the official modules.
     */
    @Test
    void resNet18StudentHasTheOfficialParameterCount() {
        NetworkGraph graph = Rd4adStudent.graph(List.of(64, 128, 256));
        assertEquals(11_680_000, trainableParameters(graph, "bn."));
        assertEquals(3_703_168, trainableParameters(graph, "decoder."));
        assertEquals("rd4ad-resnet18", new Rd4ad().studentArchitecture(List.of(64, 128, 256)));
        Map<String, Extent> sizes = graph.spatialSizes(new Extent(256, 224));
        assertEquals(new Extent(8, 7), sizes.get("bn.embedding"));
        assertEquals(List.of(new Extent(64, 56), new Extent(32, 28), new Extent(16, 14)),
                graph.outputs().stream().map(sizes::get).toList());
        assertEquals(List.of(64, 128, 256), graph.outputs().stream().map(graph.channels()::get).toList());
    }

    @Test
    void aTeacherWithoutResNetTapsIsRefused() {
        var refused = assertThrows(IllegalArgumentException.class, () -> Rd4adStudent.graph(List.of(64, 128, 512)));
        assertTrue(refused.getMessage().contains("[64, 128, 512]"), refused.getMessage());
    }

    /**
     * Wide-ResNet-50-2, the paper's teacher, cannot run here (no checkpoint), but its student is built from the same
     * description: Bottlenecks, an OCBE stage of 3 and a decoder of [3, 4, 6], exported to ONNX with random weights
     * and run by ONNX Runtime to the same features as the DJL network.
     */
    @Test
    void wideResNet50StudentBuildsExportsAndRuns() throws Exception {
        List<Integer> channels = List.of(256, 512, 1024);
        NetworkGraph graph = Rd4adStudent.graph(channels);
        assertEquals("rd4ad-wide_resnet50_2", new Rd4ad().studentArchitecture(channels));
        long blocks = graph.nodes().stream().filter(n -> n.name().matches(".*\\.\\d+\\.conv3")).count();
        assertEquals(3 + 3 + 4 + 6, blocks, "Bottlenecks: OCBE 3, decoder 3, 4, 6");
        System.out.printf("RD4AD Wide-ResNet-50-2 student: %,d parameters (OCBE %,d, decoder %,d)%n",
                trainableParameters(graph, ""), trainableParameters(graph, "bn."),
                trainableParameters(graph, "decoder."));

        int image = 64;
        List<FloatTensor> taps = new ArrayList<>();
        Random random = new Random(5);
        for (NetworkGraph.Input input : graph.inputs()) {
            int side = image / input.downsampling();
            float[] values = new float[input.channels() * side * side];
            for (int i = 0; i < values.length; i++) {
                values[i] = Math.max(0, (float) random.nextGaussian());
            }
            taps.add(new FloatTensor(1, input.channels(), side, side, values));
        }
        Engine.getEngine("PyTorch").setRandomSeed(5);
        try (Model model = Model.newInstance("wrn50-student", Device.cpu(), "PyTorch")) {
            GraphBlock block = new GraphBlock(graph);
            block.setInitializer(GraphBlock.kaimingNormalFanOut(), Parameter.Type.WEIGHT);
            block.initialize(model.getNDManager(), DataType.FLOAT32,
                    taps.stream().map(t -> new Shape(t.shape())).toArray(Shape[]::new));
            NDList inputs = new NDList();
            for (FloatTensor tap : taps) {
                inputs.add(model.getNDManager().create(tap.data(), new Shape(tap.shape())));
            }
            NDList trained = block.forward(new ParameterStore(model.getNDManager(), false), inputs, false);
            byte[] onnx = OnnxExporter.export(block, "wrn50-student").toByteArray();
            try (OnnxNetwork served = OnnxNetwork.load(onnx, "wrn50-student.onnx", InferenceOptions.cpu(2))) {
                List<FloatTensor> outputs = served.run(taps);
                assertEquals(List.of(256, 512, 1024), outputs.stream().map(FloatTensor::channels).toList());
                assertEquals(List.of(16, 8, 4), outputs.stream().map(FloatTensor::height).toList());
                for (int tap = 0; tap < outputs.size(); tap++) {
                    NDArray expected = trained.get(tap);
                    float[] a = outputs.get(tap).data();
                    float[] b = expected.toFloatArray();
                    float scale = expected.abs().max().getFloat();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(b[i], a[i], 1e-4 * Math.max(1, scale), "tap " + tap + " at " + i);
                    }
                }
            }
        }
    }

    /** Conv and transposed-conv weights and BatchNorm scale and shift, as PyTorch's {@code parameters()} counts. */
    private static long trainableParameters(NetworkGraph graph, String prefix) {
        long count = 0;
        for (Node node : graph.nodes()) {
            if (!node.name().startsWith(prefix)) {
                continue;
            }
            if (node.op() instanceof Op.Conv c) {
                count += (long) c.inChannels() * c.outChannels() * c.kernel() * c.kernel();
            } else if (node.op() instanceof Op.ConvTranspose t) {
                count += (long) t.inChannels() * t.outChannels() * t.kernel() * t.kernel();
            } else if (node.op() instanceof Op.BatchNorm b) {
                count += 2L * b.channels();
            }
        }
        return count;
    }
}
