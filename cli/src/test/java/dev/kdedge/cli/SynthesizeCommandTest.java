package dev.kdedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.calibration.demo.DemoFixture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The field engineer's estimate before any real defect: synthetic defects painted on the demo's good test tiles (not
 * fitted on), evaluated as any test set, per kind, with what the threshold catches.
 */
class SynthesizeCommandTest {
    @TempDir
    Path dir;

    @Test
    void syntheticDefectsOnHeldOutNormalsAreEvaluatedPerKind() throws Exception {
        Path set = dir.resolve("synthetic");
        CliRun synthesize = CliRun.of(List.of("synthesize", "--normals",
                DemoFixture.testSet().resolve("test/good").toString(), "--out", set.toString(), "--count", "24",
                "--seed", "3"));
        assertEquals(0, synthesize.exitCode(), synthesize.err());
        assertTrue(synthesize.out().startsWith("12 normals and 24 synthetic defects ("), synthesize.out());

        Path json = dir.resolve("synthetic.json");
        CliRun evaluate = CliRun.of(List.of("evaluate", "--store", DemoFixture.store().toString(), "--product",
                "demo", "--data", set.toString(), "--json", json.toString()));
        assertEquals(0, evaluate.exitCode(), evaluate.err());
        JsonNode result = new ObjectMapper().readTree(json.toFile());
        assertEquals(36, result.get("images").asInt());
        assertEquals(24, result.get("defective").asInt());
        for (String kind : List.of("cut-paste", "scar", "noise", "spot")) {
            assertTrue(result.get("imageAurocPerType").has(kind), kind + " in " + result.get("imageAurocPerType"));
        }
        assertTrue(result.get("pixelAuroc").isNumber(), "every synthetic defect has its mask");

        CliRun wrong = CliRun.of(List.of("synthesize", "--normals", DemoFixture.testSet().resolve("test/good")
                .toString(), "--out", set.toString(), "--kinds", "dent"));
        assertEquals(1, wrong.exitCode());
        assertTrue(wrong.err().contains("unknown synthetic defect kind 'dent' (kinds: cut-paste, scar, noise, spot)"),
                wrong.err());
    }
}
