package dev.kdedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kdedge-calibrate doctor} as an engineer runs it on a device: a healthy store passes with each precision's
 * engine built and timed; a damaged teacher, a damaged don't-care mask and a provider this ONNX Runtime lacks are each
 * named, and the exit code says something is wrong.
 */
class DoctorCommandTest {
    @TempDir
    Path copy;

    @Test
    void aHealthyStoreOnTheCpuPassesWithEachEngineBuiltAndTimed() throws Exception {
        Manifest manifest = new ModelStore(DemoFixture.store()).activeBundle("demo").manifest();
        // teacher, student, served graph, and each INT8 variant the fit published
        long files = 3 + Stream.of(QdqScheme.values()).filter(scheme -> manifest.int8(scheme).published()).count();
        CliRun run = CliRun.of(List.of("doctor", "--store", DemoFixture.store().toString(), "--runs", "3"));
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("ONNX Runtime " + ExecutionProvider.onnxRuntimeVersion()
                + ", execution providers [CPU]"), run.out());
        assertTrue(run.out().contains("Provider cpu: available"), run.out());
        assertTrue(run.out().contains("demo@1 (stfpm, "), run.out());
        assertTrue(run.out().contains("files: " + files + " of " + files + " match their manifest's sha256"),
                run.out());
        assertTrue(run.out().matches("(?s).*fp32: loaded in \\d+ ms, first run \\d+ ms, then [0-9.]+ ms an image "
                + "\\(median of 3\\).*"), run.out());
        assertTrue(run.out().contains("int8: loaded in "), run.out());
        assertTrue(run.out().contains("fp16: not on cpu: fp16 runs on the tensorrt provider only"), run.out());
        assertTrue(run.out().contains("No problems found."), run.out());
    }

    @Test
    void aDamagedTeacherAndAMissingProviderAreEachNamed() throws Exception {
        Path store = copy.resolve("store");
        try (Stream<Path> files = Files.walk(DemoFixture.store())) {
            for (Path file : files.toList()) {
                Path target = store.resolve(DemoFixture.store().relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        ProductBundle bundle = new ModelStore(store).activeBundle("demo");
        Files.write(bundle.teacherFile(), new byte[] {0}, StandardOpenOption.APPEND);
        CliRun run = CliRun.of(List.of("doctor", "--store", store.toString(), "--provider", "tensorrt"));
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("Provider tensorrt: NOT AVAILABLE"), run.out());
        assertTrue(run.out().contains("2 problems:"), run.out());
        assertTrue(run.out().contains("  - execution provider tensorrt is not in this ONNX Runtime"), run.out());
        assertTrue(run.out().contains("  - demo@1: " + bundle.teacherFile() + " does not match the sha256 its "
                + "manifest records"), run.out());
    }

    @Test
    void aDamagedDontCareMaskIsNamed() throws Exception {
        BufferedImage drawn = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        drawn.getRaster().setSample(0, 0, 0, 255);
        Path mask = copy.resolve("label.png");
        ImageIO.write(drawn, "png", mask.toFile());
        Path store = copy.resolve("store");
        CliRun fit = CliRun.of(CliRun.demoFit(store, "labelled", "--dont-care", mask.toString()));
        assertEquals(0, fit.exitCode(), fit.err());
        ProductBundle bundle = new ModelStore(store).activeBundle("labelled");
        Path kept = bundle.directory().resolve(bundle.manifest().dontCare().file());
        assertTrue(CliRun.of(List.of("doctor", "--store", store.toString(), "--runs", "1")).out()
                .contains("don't-care mask)"), "the mask is among the files checked");

        Files.write(kept, new byte[] {0}, StandardOpenOption.APPEND);
        CliRun run = CliRun.of(List.of("doctor", "--store", store.toString(), "--runs", "1"));
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("  - labelled@1: " + kept + " does not match the sha256 its manifest records"),
                run.out());
    }
}
