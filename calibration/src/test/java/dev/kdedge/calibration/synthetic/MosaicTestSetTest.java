package dev.kdedge.calibration.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.demo.DemoFixture;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Camera-sized frames of real test images: wide frames of the asked size in MVTec layout, good frames without a mask,
 * each defective frame's mask inside the one cell its defective image was drawn into, the same seed the same frames.
 */
class MosaicTestSetTest {
    @TempDir
    Path dir;

    @Test
    void framesAreGridsOfTestImagesWithTheDefectsMaskInItsCell() throws Exception {
        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(DemoFixture.testSet());
        MosaicTestSet.Layout layout = new MosaicTestSet.Layout(512, 256, 4, 2, 3, 2);
        assertEquals(5, MosaicTestSet.write(samples, dir.resolve("a"), layout, "png", 7));

        List<MvtecTestSet.Sample> frames = MvtecTestSet.load(dir.resolve("a"));
        assertEquals(5, frames.size());
        assertEquals(3, frames.stream().filter(f -> !f.defective()).count());
        for (MvtecTestSet.Sample frame : frames) {
            BufferedImage image = ImageIO.read(frame.image().toFile());
            assertEquals(List.of(512, 256), List.of(image.getWidth(), image.getHeight()));
            if (!frame.defective()) {
                continue;
            }
            BufferedImage mask = ImageIO.read(frame.mask().toFile());
            int[] cells = new int[8];
            for (int y = 0; y < 256; y++) {
                for (int x = 0; x < 512; x++) {
                    int value = mask.getRaster().getSample(x, y, 0);
                    assertTrue(value == 0 || value == 255, "a mask is 0 or 255");
                    if (value == 255) {
                        cells[y / 128 * 4 + x / 128]++;
                    }
                }
            }
            List<Integer> marked = IntStream.range(0, 8).filter(c -> cells[c] > 0).boxed().toList();
            assertEquals(1, marked.size(), "the defect lies in one cell: " + Arrays.toString(cells));
        }

        MosaicTestSet.write(samples, dir.resolve("b"), layout, "png", 7);
        MosaicTestSet.write(samples, dir.resolve("c"), layout, "png", 8);
        assertArrayEquals(bytes(dir.resolve("a")), bytes(dir.resolve("b")), "the same seed, the same frames");
        assertFalse(Arrays.equals(bytes(dir.resolve("a")), bytes(dir.resolve("c"))));
    }

    @Test
    void whatCannotBeMadeIsSaid() throws Exception {
        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(DemoFixture.testSet());
        IOException few = assertThrows(IOException.class, () -> MosaicTestSet.write(samples, dir,
                new MosaicTestSet.Layout(640, 640, 8, 8, 1, 0), "jpg", 1));
        assertTrue(few.getMessage().startsWith("a frame needs 64 good images; the test set has "), few.getMessage());
        MosaicTestSet.write(samples, dir.resolve("once"), new MosaicTestSet.Layout(64, 32, 2, 1, 1, 0), "jpg", 1);
        IOException again = assertThrows(IOException.class, () -> MosaicTestSet.write(samples, dir.resolve("once"),
                new MosaicTestSet.Layout(64, 32, 2, 1, 1, 0), "jpg", 1));
        assertTrue(again.getMessage().endsWith("already holds a test set; write the frames into a new folder"));
        assertThrows(IllegalArgumentException.class, () -> MosaicTestSet.write(samples, dir,
                new MosaicTestSet.Layout(64, 32, 2, 1, 1, 0), "gif", 1));
        IllegalArgumentException cells = assertThrows(IllegalArgumentException.class,
                () -> new MosaicTestSet.Layout(3, 3, 4, 1, 1, 0));
        assertEquals("a 3x3 frame cannot hold 4x1 cells", cells.getMessage());
    }

    /** Every file of a written set, in name order, concatenated. */
    private static byte[] bytes(Path set) throws IOException {
        try (var files = Files.walk(set)) {
            List<Path> all = files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Path file : all) {
                out.write(Files.readAllBytes(file));
            }
            return out.toByteArray();
        }
    }
}
