package dev.kdedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.image.Tiling;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fit --method auto} as the field engineer runs it on a new product's normals (the demo's): every registered
 * method fitted briefly, ranked on synthetic defects painted on the held-out normals, the first fitted fully, the
 * ranking in the manifest and the report; and the ranking's figure is the one {@code synthesize} and
 * {@code evaluate} give for the same defects.
 */
class FitAutoCommandTest {
    private static final String SEED = "42";
    private static final double HOLDOUT = 0.2;
    /** Wider than tall, as a line camera's product (the demo's images are square: each is stretched to it). */
    private static final String INPUT_SIZE = "96x64";

    @TempDir
    Path dir;

    @Test
    void everyMethodIsRankedOnSyntheticDefectsAndTheFirstFittedFully() throws Exception {
        Path store = dir.resolve("store");
        Path candidates = dir.resolve("candidates");
        CliRun fit = fit("--store", store.toString(), "--candidates-store", candidates.toString(), "--auto-epochs",
                "1", "--epochs", "2");
        assertEquals(0, fit.exitCode(), fit.err());

        ProductBundle chosen = new ModelStore(store).activeBundle("tiles");
        Manifest.MethodChoice choice = chosen.manifest().methodChoice();
        assertEquals(1, choice.epochs());
        assertEquals(Methods.names(), choice.candidates().stream().map(Manifest.MethodChoice.Candidate::method)
                .sorted().toList(), "every registered method is a candidate");
        for (int i = 1; i < choice.candidates().size(); i++) {
            assertTrue(choice.candidates().get(i - 1).imageAuroc() >= choice.candidates().get(i).imageAuroc(),
                    "best first: " + choice.candidates());
        }
        assertEquals(choice.chosen(), chosen.manifest().method());
        assertEquals(2, chosen.manifest().training().epochs(), "the chosen method is fitted with --epochs");
        assertEquals(Extent.parse(INPUT_SIZE), chosen.manifest().preprocessing().size());

        ModelStore kept = new ModelStore(candidates);
        assertTrue(kept.activeVersion("tiles").isEmpty(), "short fits are never activated");
        List<ProductBundle> shortFits = kept.versions("tiles").stream().map(v -> bundle(kept, v)).toList();
        assertEquals(Methods.names().size(), shortFits.size());
        for (Manifest.MethodChoice.Candidate candidate : choice.candidates()) {
            ProductBundle shortFit = shortFits.stream().filter(b -> b.manifest().method().equals(candidate.method()))
                    .findFirst().orElseThrow();
            assertEquals(1, shortFit.manifest().training().epochs());
            assertEquals(candidate.imageAuroc(), shortFit.manifest().threshold().synthetic().imageAuroc());
        }

        // The same synthetic defects through synthesize and evaluate: the held-out normals in the fit's order
        // (sorted, shuffled with the seed, the first fifth), the i-th painted with seed 1 + i.
        ProductBundle best = shortFits.stream().filter(b -> b.manifest().method().equals(choice.chosen()))
                .findFirst().orElseThrow();
        Path heldOut = Files.createDirectories(dir.resolve("held-out"));
        List<Path> normals = heldOutNormals();
        for (int i = 0; i < normals.size(); i++) {
            Files.copy(normals.get(i), heldOut.resolve(String.format("%04d.png", i)));
        }
        Path synthetic = dir.resolve("synthetic");
        CliRun synthesize = CliRun.of(List.of("synthesize", "--normals", heldOut.toString(), "--out",
                synthetic.toString(), "--count", String.valueOf(normals.size()), "--seed", "1"));
        assertEquals(0, synthesize.exitCode(), synthesize.err());
        Path json = dir.resolve("synthetic.json");
        Path report = dir.resolve("report.html");
        CliRun evaluate = CliRun.of(List.of("evaluate", "--store", candidates.toString(), "--product", "tiles",
                "--version", String.valueOf(best.version()), "--data", synthetic.toString(), "--json",
                json.toString()));
        assertEquals(0, evaluate.exitCode(), evaluate.err());
        JsonNode evaluated = new ObjectMapper().readTree(json.toFile());
        Manifest.SyntheticCheck check = best.manifest().threshold().synthetic();
        // evaluate scores as the node does (the graph preprocesses the frame), the fit's check on Java's
        // preprocessing: the two inputs are at most a level of 255 apart on a few pixels (FrameInput.LEVELS_BOUND)
        assertEquals(evaluated.get("imageAuroc").asDouble(), check.imageAuroc(), 1e-9);
        assertEquals(evaluated.get("pixelAuroc").asDouble(), check.pixelAuroc(), 1e-4);

        CliRun reported = CliRun.of(List.of("evaluate", "--store", store.toString(), "--product", "tiles", "--data",
                DemoFixture.testSet().toString(), "--report", report.toString()));
        assertEquals(0, reported.exitCode(), reported.err());
        String html = Files.readString(report);
        assertTrue(html.contains("How the method was chosen"), "the report shows the ranking");
        for (Manifest.MethodChoice.Candidate candidate : choice.candidates()) {
            assertTrue(html.contains("<tr><td>" + candidate.method() + "</td>"), candidate.method() + " ranked");
        }
        assertTrue(html.contains("What the fit found on synthetic defects"));
    }

    @Test
    void choosingRefusesWhatItCannotDo() throws Exception {
        Path store = dir.resolve("store");
        CliRun noHoldout = fit("--store", store.toString(), "--holdout-fraction", "0");
        assertEquals(1, noHoldout.exitCode());
        assertTrue(noHoldout.err().contains("choosing a method needs held-out normals to paint synthetic defects on"),
                noHoldout.err());
        CliRun recipe = fit("--store", store.toString(), "--batch-size", "4");
        assertEquals(1, recipe.exitCode());
        assertTrue(recipe.err().contains("with --method auto every method trains with its own recipe: --batch-size "
                + "applies to a method named with --method"), recipe.err());
        CliRun named = CliRun.of(List.of("fit", "--store", store.toString(), "--product", "tiles", "--data",
                DemoFixture.work().resolve("normal").toString(), "--teacher", teacher().toString(),
                "--candidates-store", dir.resolve("c").toString()));
        assertEquals(1, named.exitCode());
        assertTrue(named.err().contains("--candidates-store applies with --method auto"), named.err());
        CliRun notASize = CliRun.of(List.of("fit", "--store", store.toString(), "--product", "tiles", "--data",
                DemoFixture.work().resolve("normal").toString(), "--teacher", teacher().toString(), "--method", "rd4ad",
                "--input-size", "96x"));
        assertTrue(notASize.exitCode() != 0 && notASize.err().contains("'96x' is not a size: write a side (256) or "
                + "width x height (512x224)"), notASize.err());
        CliRun unevenSides = CliRun.of(List.of("fit", "--store", store.toString(), "--product", "tiles", "--data",
                DemoFixture.work().resolve("normal").toString(), "--teacher", teacher().toString(), "--method", "rd4ad",
                "--input-size", "96x72"));
        assertEquals(1, unevenSides.exitCode());
        assertTrue(unevenSides.err().contains("at an input size of 96x72 px the rd4ad student's feature maps would be"),
                unevenSides.err());
        CliRun largerTiles = fit("--store", store.toString(), "--tile", "128x64");
        assertEquals(1, largerTiles.exitCode());
        assertTrue(largerTiles.err().contains("tiles of 128x64 px do not fit in the working image of 96x64 px"),
                largerTiles.err());
        assertFalse(Files.exists(store.resolve("products").resolve("tiles")), "nothing was fitted");
    }

    @Test
    void aProductFittedInTilesKeepsThemInItsBundle() throws Exception {
        Path store = dir.resolve("store");
        CliRun fit = CliRun.of(List.of("fit", "--store", store.toString(), "--product", "tiles", "--data",
                DemoFixture.work().resolve("normal").toString(), "--teacher", teacher().toString(), "--method",
                "stfpm", "--epochs", "1", "--input-size", INPUT_SIZE, "--tile", "64", "--tile-overlap", "16"));
        assertEquals(0, fit.exitCode(), fit.err());
        assertTrue(fit.out().contains("tiled: 2 tiles of 64 px over the 96x64 px working image"), fit.out());
        assertEquals(new Tiling(64, 64, 16), new ModelStore(store).activeBundle("tiles").manifest().preprocessing()
                .tiling());
    }

    private static CliRun fit(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("fit", "--product", "tiles", "--data",
                DemoFixture.work().resolve("normal").toString(), "--teacher", teacher().toString(), "--method",
                "auto", "--input-size", INPUT_SIZE, "--seed", SEED));
        args.addAll(List.of(options));
        return CliRun.of(args);
    }

    private static Path teacher() throws Exception {
        return DemoFixture.work().resolve("toy-teacher.onnx");
    }

    /** ProductFitter's hold-out, as it draws it. */
    private static List<Path> heldOutNormals() throws Exception {
        List<Path> shuffled = new ArrayList<>(ImageFolders.normalTrainingImages(DemoFixture.work().resolve("normal")));
        Collections.sort(shuffled);
        Collections.shuffle(shuffled, new Random(Long.parseLong(SEED)));
        return shuffled.subList(0, (int) Math.round(shuffled.size() * HOLDOUT));
    }

    private static ProductBundle bundle(ModelStore store, int version) {
        try {
            return store.bundle("tiles", version);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
