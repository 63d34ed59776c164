package dev.kdedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A product's don't-care region changed from the command line: a new version of the same student, no training. */
class RemaskCommandTest {
    @TempDir
    Path dir;

    @Test
    void aNewRegionIsANewActiveVersionOfTheSameStudentAndWhatCannotBeHonouredIsRefused() throws Exception {
        Path store = dir.resolve("store");
        CliRun fit = CliRun.of(CliRun.demoFit(store, "plain"));
        assertEquals(0, fit.exitCode(), fit.err());
        ModelStore models = new ModelStore(store);
        ProductBundle plain = models.activeBundle("plain");
        // the demo's frames are 128 x 128: the top left quarter
        Path quarter = Files.writeString(dir.resolve("label.json"),
                "{\"width\": 128, \"height\": 128, \"polygons\": [[[0, 0], [64, 0], [64, 64], [0, 64]]]}");

        CliRun remask = CliRun.of(remask(store, quarter.toString()));
        assertEquals(0, remask.exitCode(), remask.err());
        assertTrue(remask.out().contains("plain@2 keeps the student of plain@1 as it is"), remask.out());
        ProductBundle masked = models.activeBundle("plain");
        assertEquals(2, masked.version());
        assertEquals(0.25, masked.manifest().dontCare().coveredShare());
        assertEquals(plain.manifest().student(), masked.manifest().student());
        assertEquals(plain.manifest().training(), masked.manifest().training());

        CliRun missing = CliRun.of(remask(store, quarter.toString(), "--from-version", "7"));
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("product plain has no version 7"), missing.err());
        Path wide = Files.writeString(dir.resolve("wide.json"),
                "{\"width\": 256, \"height\": 128, \"polygons\": [[[0, 0], [64, 0], [64, 64], [0, 64]]]}");
        CliRun misfit = CliRun.of(remask(store, wide.toString()));
        assertEquals(1, misfit.exitCode());
        assertTrue(misfit.err().contains("was drawn on 256x128 frames"), misfit.err());
        assertEquals(2, models.activeVersion("plain").orElseThrow(), "nothing written for the refusals");

        CliRun none = CliRun.of(remask(store, "none", "--from-version", "1", "--no-activate"));
        assertEquals(0, none.exitCode(), none.err());
        ProductBundle again = models.bundle("plain", 3);
        assertTrue(again.manifest().dontCare() == null, "every pixel counts");
        assertEquals(Integer.valueOf(1), again.manifest().parentVersion());
        assertEquals(2, models.activeVersion("plain").orElseThrow(), "--no-activate");
    }

    private static List<String> remask(Path store, String dontCare, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("remask", "--store", store.toString(), "--product", "plain",
                "--dont-care", dontCare, "--data", DemoFixture.work().resolve("normal").toString()));
        args.addAll(List.of(more));
        return args;
    }
}
