package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.scoring.Int8Calibration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node serves each product in the precision its configuration names, from the version's own variant, and every
 * verdict says which precision produced it.
 */
class PrecisionOnTheNodeTest {
    private static final String INT8_PRODUCT = "demo-int8";

    @TempDir
    Path dir;

    @Test
    void aProductConfiguredInt8IsScoredByItsInt8VariantWithTheSameVerdicts() throws Exception {
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), INT8_PRODUCT);
        try (RunningNode node = new RunningNode(store, c -> c.precision.products = Map.of(INT8_PRODUCT, "int8"))) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel);
            for (Path image : new Path[] {DemoFixture.sampleGood(), DemoFixture.sampleDefect()}) {
                Verdict fp32 = inspection.score(DemoRequests.scoreRequest(image)).getVerdict();
                Verdict int8 = inspection.score(DemoRequests.scoreRequest(image).toBuilder().setProduct(INT8_PRODUCT)
                        .build()).getVerdict();
                assertEquals("fp32", fp32.getPrecision());
                assertEquals("int8", int8.getPrecision());
                assertNotEquals(fp32.getRawScore(), int8.getRawScore(), "the same graph scored both");
                assertEquals(fp32.getIsAnomalous(), int8.getIsAnomalous(), image + ": " + fp32 + " vs " + int8);
                if (!fp32.getIsAnomalous()) {
                    // bounded on normals, as the fit checked it; past the calibrated ranges only the verdict is
                    // promised (Int8VariantTest)
                    assertTrue(Math.abs(fp32.getRawScore() - int8.getRawScore()) <= 2 * Int8Calibration.TOLERANCE
                            * fp32.getThreshold(), fp32 + " vs " + int8);
                }
            }
        }
    }

    @Test
    void aVersionWithoutAnInt8VariantKeepsTheLineRunningInFp32AndSaysSo() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Path manifest = store.resolve("products").resolve(DemoFixture.PRODUCT).resolve("versions/1/manifest.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode fitted = (ObjectNode) json.readTree(manifest.toFile());
        fitted.remove("int8");
        json.writeValue(manifest.toFile(), fitted);
        Files.delete(manifest.resolveSibling("served-int8.onnx"));
        try (RunningNode node = new RunningNode(store, c -> c.precision.byDefault = "int8")) {
            Verdict verdict = InspectionGrpc.newBlockingStub(node.channel)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleDefect())).getVerdict();
            assertEquals("fp32", verdict.getPrecision());
            assertTrue(verdict.getIsAnomalous());
        }
    }

    /** As a TensorRT build that refuses the INT8 graph on a device would: the product is served, in fp32. */
    @Test
    void anInt8VariantThatCannotBeLoadedKeepsTheLineRunningInFp32() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Path int8 = store.resolve("products").resolve(DemoFixture.PRODUCT).resolve("versions/1/served-int8.onnx");
        Files.write(int8, new byte[] {8, 7, 0, 1});
        try (RunningNode node = new RunningNode(store, c -> c.precision.byDefault = "int8")) {
            Verdict verdict = InspectionGrpc.newBlockingStub(node.channel)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleDefect())).getVerdict();
            assertEquals("fp32", verdict.getPrecision());
            assertTrue(verdict.getIsAnomalous());
        }
    }
}
