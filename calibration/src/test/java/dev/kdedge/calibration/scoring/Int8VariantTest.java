package dev.kdedge.calibration.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.demo.DemoProduct;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.Precision;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.evaluation.EvaluationResult;
import dev.kdedge.calibration.evaluation.TestSetEvaluator;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.network.QdqQuantizer;
import dev.kdedge.calibration.store.Digests;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.NodeProto;
import dev.kdedge.onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fit publishes an INT8 variant of its served graph (teacher and student convolutions in 8-bit integers, the map in
 * float) whose verdicts are the float graph's, or records why it did not.
 */
class Int8VariantTest {
    @TempDir
    static Path dir;
    static Path work;
    static ProductBundle bundle;

    @BeforeAll
    static void fitTheDemo() throws Exception {
        work = dir.resolve("work");
        bundle = DemoProduct.create(new ModelStore(dir.resolve("store")), work, "demo", null,
                DemoProduct.DEFAULT_IMAGES, FitProgress.NONE);
    }

    @Test
    void theFitRecordsAPublishedVariantWithItsCalibrationAndCheck() throws Exception {
        Manifest.Int8 int8 = bundle.manifest().int8();
        assertTrue(int8.published(), "no int8 variant: " + int8.refusal());
        Path file = bundle.servedFile(Precision.INT8).orElseThrow();
        assertEquals(Digests.sha256(file), int8.sha256());
        assertEquals("held-out-normals", int8.checkSource());
        assertEquals(bundle.manifest().threshold().images(), int8.checkImages());
        assertTrue(int8.calibrationImages() > 0 && !int8.calibrationDigest().isEmpty());
        assertTrue(int8.scoreDeviation() <= int8.tolerance(), int8.scoreDeviation() + " of the threshold");
        System.out.printf("demo int8: deviation %.4f of the threshold, float blocks %s%n", int8.scoreDeviation(),
                int8.floatBlocks());
    }

    @Test
    void everyNetworkConvolutionOutsideTheFloatBlocksRunsOnInt8WeightsAndTheMapStaysFloat() throws Exception {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(bundle.servedFile(Precision.INT8).orElseThrow()));
        Set<String> int8Weights = model.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == TensorProto.DataType.INT8_VALUE).map(TensorProto::getName)
                .collect(Collectors.toSet());
        List<String> floatBlocks = bundle.manifest().int8().floatBlocks();
        int integerConvs = 0;
        for (NodeProto node : model.getGraph().getNodeList()) {
            String output = node.getOutput(0);
            boolean network = output.startsWith("teacher/") || output.startsWith("student/");
            if (node.getOpType().equals("Conv") && network
                    && floatBlocks.stream().noneMatch(block -> output.startsWith(block + ".") || output.equals(block))) {
                assertTrue(node.getInput(0).endsWith("/dq"), output + " reads a float input");
                assertTrue(int8Weights.contains(node.getInput(1).replace("/dq", "/int8")), output + " has float weights");
                integerConvs++;
            }
            if (output.startsWith("map/")) {
                assertFalse(node.getOpType().endsWith("QuantizeLinear"), output + " is quantized");
                node.getInputList().forEach(input -> assertFalse(input.endsWith("/dq"),
                        output + " reads a quantized feature " + input));
            }
        }
        assertTrue(integerConvs >= 10, integerConvs + " integer convolutions");
    }

    @Test
    void theInt8VariantGivesTheFloatGraphsVerdicts() throws Exception {
        Path testSet = DemoProduct.testSet(work);
        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(testSet);
        double threshold = bundle.manifest().threshold().calibration().threshold();
        try (BundleMaps fp32 = new BundleMaps(bundle, Precision.FP32, InferenceOptions.cpu(2));
                BundleMaps int8 = new BundleMaps(bundle, Precision.INT8, InferenceOptions.cpu(2))) {
            for (Path sample : List.of(DemoProduct.sampleGood(work), DemoProduct.sampleDefect(work))) {
                double f = fp32.score(sample).map().score();
                double q = int8.score(sample).map().score();
                assertEquals(f >= threshold, q >= threshold, sample + ": fp32 " + f + ", int8 " + q);
                assertTrue(Math.abs(q - f) <= 2 * Int8Calibration.TOLERANCE * Math.max(threshold, f),
                        sample + ": fp32 " + f + ", int8 " + q + ", threshold " + threshold);
            }
            EvaluationResult result = new TestSetEvaluator(int8, dir).evaluate(testSet, samples, done -> {});
            assertEquals("int8", result.precision());
            assertEquals(1.0, result.imageAuroc());
        }
    }

    @Test
    void aVariantThatMovesScoresBeyondTheToleranceIsRefusedWithTheReason() throws Exception {
        ModelProto served = ModelProto.parseFrom(Files.readAllBytes(bundle.servedFile(Precision.FP32).orElseThrow()));
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<FloatTensor> normals = new ArrayList<>();
        for (Path file : ImageFolders.list(work.resolve("normal")).subList(0, 4)) {
            normals.add(bundle.manifest().preprocessing().apply(decoder.decodeFile(file)));
        }
        // A threshold so small that any rounding moves scores by more than the tolerance of it.
        Int8Calibration.Result result = Int8Calibration.build(served, normals.subList(0, 2), normals.subList(2, 4),
                1e-12, InferenceOptions.cpu(2));
        assertFalse(result.accepted());
        assertTrue(result.refusal().contains("tolerance"), result.refusal());
        int blocks = new QdqQuantizer(served, ServedGraph.NETWORK_PREFIXES).blocks().size();
        assertTrue(result.refusal().contains("up to " + blocks / 2 + " of " + blocks + " blocks tried in float"),
                result.refusal());
        assertTrue(result.floatBlocks().size() <= blocks / 2, result.floatBlocks().toString());
    }

    @Test
    void aPrecisionTheVersionDoesNotHaveIsRefusedSayingWhy() throws Exception {
        Manifest m = bundle.manifest();
        Manifest.Int8 refused = new Manifest.Int8(null, null, "INT8 scores moved by 9.0% of the threshold", 32, "d",
                "held-out-normals", 24, 0.09, 0.05, List.of());
        ProductBundle without = new ProductBundle(bundle.product(), bundle.version(), bundle.directory(),
                new Manifest(m.format(), m.product(), m.version(), m.method(), m.anomalyMap(), m.createdAt(),
                        m.teacher(), m.student(), m.preprocessing(), m.threshold(), m.training(), m.parentVersion(),
                        m.served(), refused),
                bundle.studentFile(), bundle.teacherFile(), bundle.servedFile());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServedGraph.load(without, Precision.INT8, InferenceOptions.cpu(1)));
        assertTrue(e.getMessage().contains("moved by 9.0%"), e.getMessage());
    }
}
