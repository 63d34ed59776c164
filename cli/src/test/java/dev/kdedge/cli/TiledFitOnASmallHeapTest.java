package dev.kdedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.store.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiled fit whose teacher's features the heap cannot keep trains with them computed for each batch, rather than
 * being refused: 120 frames of 256 x 128 in 55 tiles of 32 px, with a teacher of ResNet-18's widths, in a JVM of
 * 400 MB. Kept, the features of the 96 training frames' tiles would be 150 MB beside 38 MB of frames, and the fit
 * would need about 460 MB of heap; computed for each batch, about 310 MB.
 */
class TiledFitOnASmallHeapTest {
    @TempDir
    Path dir;

    @Test
    void theTeacherFeaturesAreComputedForEachBatchWhereTheHeapCannotKeepThem() throws Exception {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 64, 3);
        SyntheticTiles tiles = new SyntheticTiles(128);
        Path normals = Files.createDirectories(dir.resolve("normals"));
        for (int i = 0; i < 120; i++) {
            ImageIO.write(SyntheticTiles.sideBySide(tiles.normal(i), tiles.normal(100 + i)), "png",
                    normals.resolve(i + ".png").toFile());
        }
        Path store = dir.resolve("store");
        Path log = dir.resolve("fit.log");
        Process fit = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx400m", "-cp", System.getProperty("java.class.path"), KdedgeCalibrate.class.getName(), "fit",
                "--store", store.toString(), "--product", "wide", "--data", normals.toString(), "--teacher",
                teacher.toString(), "--method", "stfpm", "--epochs", "1", "--input-size", "256x128", "--tile", "32",
                "--tile-overlap", "8").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(fit.waitFor(5, TimeUnit.MINUTES), "the fit did not end in 5 minutes");
        String output = Files.readString(log);
        assertEquals(0, fit.exitValue(), output);
        assertTrue(output.contains("training (the teacher's features computed for each batch: the heap cannot keep "
                + "them)"), output);
        assertEquals(List.of(1), new ModelStore(store).versions("wide"));
        assertEquals(55, new ModelStore(store).activeBundle("wide").manifest().preprocessing().layout().count());
    }
}
