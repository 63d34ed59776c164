package dev.kdedge.calibration.method.mkd;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Not part of the suite (its name does not end in Test): the README's MKD cost figures. Times, at batch 1 on the same
 * images in one process, MKD's detection alone (its served graph cut down to the score: teacher, cloner, loss), MKD's
 * full served graph (score and gradient map), and STFPM's full served graph at the same input size:
 *
 * <pre>
 * mvn -B -o test -pl calibration -Dtest=LocalizationCostBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkdedge.bench.store=/tmp/mkd/store -Dkdedge.bench.mkd=mt-mkd -Dkdedge.bench.stfpm=mt-stfpm-128 \
 *     -Dkdedge.bench.images=../shared/data/magnetic-tile/test/crack
 * </pre>
 */
class LocalizationCostBenchmark {
    @Test
    void detectionLocalizationAndStfpm() throws Exception {
        ModelStore store = new ModelStore(Path.of(System.getProperty("kdedge.bench.store")));
        ProductBundle mkd = store.activeBundle(System.getProperty("kdedge.bench.mkd"));
        ProductBundle stfpm = store.activeBundle(System.getProperty("kdedge.bench.stfpm"));
        int runs = Integer.getInteger("kdedge.bench.runs", 200);
        List<Path> files;
        try (Stream<Path> listed = Files.list(Path.of(System.getProperty("kdedge.bench.images")))) {
            files = listed.sorted().limit(20).toList();
        }
        ModelProto served = ModelProto.parseFrom(Files.readAllBytes(mkd.servedFile()));
        InferenceOptions options = InferenceOptions.cpu(2);
        try (OnnxNetwork detection = OnnxNetwork.load(cutTo(served, ServedGraph.SCORE).toByteArray(), "detection",
                        options);
                OnnxNetwork full = OnnxNetwork.load(mkd.servedFile(), options);
                OnnxNetwork stfpmFull = OnnxNetwork.load(stfpm.servedFile(), options)) {
            List<FloatTensor> mkdInputs = inputs(files, mkd);
            List<FloatTensor> stfpmInputs = inputs(files, stfpm);
            double[] medians = new double[3];
            for (int round = 0; round < 3; round++) {
                medians[0] += median(detection, mkdInputs, runs) / 3;
                medians[1] += median(full, mkdInputs, runs) / 3;
                medians[2] += median(stfpmFull, stfpmInputs, runs) / 3;
            }
            System.out.printf("MKD detection (score only): %.2f ms%nMKD score + gradient map: %.2f ms "
                    + "(localization %.2f ms, %.2fx detection)%nSTFPM served graph: %.2f ms; MKD full / STFPM full = "
                    + "%.2f%n", medians[0], medians[1], medians[1] - medians[0], (medians[1] - medians[0]) / medians[0],
                    medians[2], medians[1] / medians[2]);
        }
    }

    private static List<FloatTensor> inputs(List<Path> files, ProductBundle bundle) throws IOException {
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<FloatTensor> inputs = new ArrayList<>();
        for (Path file : files) {
            inputs.add(bundle.manifest().preprocessing().apply(decoder.decodeFile(file)));
        }
        return inputs;
    }

    /** Median milliseconds of one run at batch 1, after a warm-up, cycling through the inputs. */
    private static double median(OnnxNetwork network, List<FloatTensor> inputs, int runs) {
        for (int i = 0; i < 20; i++) {
            network.run(inputs.get(i % inputs.size()));
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            network.run(inputs.get(i % inputs.size()));
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    /** The model with only the nodes and weights {@code output} depends on, and that one output. */
    private static ModelProto cutTo(ModelProto model, String output) {
        GraphProto graph = model.getGraph();
        Set<String> needed = new HashSet<>(Set.of(output));
        List<NodeProto> kept = new ArrayList<>();
        for (int i = graph.getNodeCount() - 1; i >= 0; i--) {
            NodeProto node = graph.getNode(i);
            if (node.getOutputList().stream().anyMatch(needed::contains)) {
                kept.add(0, node);
                needed.addAll(node.getInputList());
            }
        }
        GraphProto.Builder cut = graph.toBuilder().clearNode().addAllNode(kept).clearInitializer().clearOutput()
                .addAllOutput(graph.getOutputList().stream().filter(o -> o.getName().equals(output)).toList());
        for (TensorProto initializer : graph.getInitializerList()) {
            if (needed.contains(initializer.getName())) {
                cut.addInitializer(initializer);
            }
        }
        return model.toBuilder().setGraph(cut).build();
    }
}
