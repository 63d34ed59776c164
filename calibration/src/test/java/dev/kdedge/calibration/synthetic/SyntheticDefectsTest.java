package dev.kdedge.calibration.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDefectsTest {
    @TempDir
    Path dir;

    /** Each defect's mask is exactly where the image changed visibly, and nothing changed outside it. */
    @Test
    void theMaskIsWhereTheImageChangedAndNowhereElse() {
        BufferedImage normal = texture(160, 120, 7);
        SyntheticDefects painter = new SyntheticDefects(SyntheticDefects.Settings.DEFAULT);
        Set<DefectKind> seen = EnumSet.noneOf(DefectKind.class);
        for (long seed = 0; seed < 40; seed++) {
            SyntheticDefects.Defect defect = painter.paint(normal, seed);
            seen.add(defect.kind());
            int inside = 0;
            for (int y = 0; y < normal.getHeight(); y++) {
                for (int x = 0; x < normal.getWidth(); x++) {
                    int before = normal.getRGB(x, y) & 0xFFFFFF;
                    int after = defect.image().getRGB(x, y) & 0xFFFFFF;
                    boolean masked = defect.mask().getRaster().getSample(x, y, 0) == 255;
                    if (masked) {
                        inside++;
                        assertTrue(maxChannelDifference(before, after) >= SyntheticDefects.VISIBLE,
                                defect.kind() + " seed " + seed + " masks an unchanged pixel");
                    } else {
                        assertEquals(before, after, defect.kind() + " seed " + seed + " changed a pixel outside its mask");
                    }
                }
            }
            assertTrue(inside >= 16, defect.kind() + " seed " + seed + ": " + inside + " pixels");
            assertTrue(inside < normal.getWidth() * normal.getHeight() / 4, "a local defect, not the whole image");
        }
        assertEquals(EnumSet.allOf(DefectKind.class), seen, "every kind is drawn");
    }

    @Test
    void theSameSeedPaintsTheSameDefectAndAnotherSeedAnother() {
        BufferedImage normal = texture(96, 96, 3);
        SyntheticDefects painter = new SyntheticDefects(new SyntheticDefects.Settings(List.of(DefectKind.SCAR,
                DefectKind.SPOT), 0.1, 0.3));
        SyntheticDefects.Defect once = painter.paint(normal, 42);
        SyntheticDefects.Defect again = painter.paint(normal, 42);
        assertEquals(once.kind(), again.kind());
        assertArrayEquals(pixels(once.image()), pixels(again.image()));
        assertArrayEquals(pixels(once.mask()), pixels(again.mask()));
        assertFalse(Arrays.equals(pixels(once.mask()), pixels(painter.paint(normal, 43).mask())));
    }

    /** A white image cannot get brighter: the painter draws again until the defect shows. */
    @Test
    void aSaturatedImageStillGetsAVisibleDefect() {
        BufferedImage white = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                white.setRGB(x, y, 0xFFFFFF);
            }
        }
        SyntheticDefects painter = new SyntheticDefects(new SyntheticDefects.Settings(List.of(DefectKind.SPOT,
                DefectKind.NOISE), 0.1, 0.3));
        for (long seed = 0; seed < 10; seed++) {
            assertTrue(count(painter.paint(white, seed).mask()) >= 16);
        }
    }

    /**
     * A product may leave up to 90% of its frame out: every defect is painted where the rest is inspected (placed
     * anywhere on the frame and drawn again where it did not show, some of these seeds found no place in 20 draws,
     * and the fit whose held-out normal it was failed).
     */
    @Test
    void aDefectIsPaintedWhereTheProductIsInspectedEvenWhereThatIsLittle() {
        BufferedImage normal = texture(200, 200, 11);
        boolean[] dontCare = new boolean[200 * 200];
        Arrays.fill(dontCare, true);
        for (int y = 80; y < 120; y++) {
            Arrays.fill(dontCare, y * 200 + 70, y * 200 + 130, false);    // 6% of the frame inspected
        }
        SyntheticDefects painter = new SyntheticDefects(SyntheticDefects.Settings.DEFAULT);
        for (long seed = 0; seed < 200; seed++) {
            SyntheticDefects.Defect defect = painter.paint(normal, seed, dontCare);
            int inside = 0;
            for (int i = 0; i < dontCare.length; i++) {
                if (defect.mask().getRaster().getSample(i % 200, i / 200, 0) == 255) {
                    assertFalse(dontCare[i], "seed " + seed + " painted where nothing counts");
                    inside++;
                }
            }
            assertTrue(inside >= 16, defect.kind() + " seed " + seed + ": " + inside + " pixels");
        }
        boolean[] everywhere = new boolean[200 * 200];
        Arrays.fill(everywhere, true);
        var refused = assertThrows(IllegalArgumentException.class, () -> painter.paint(normal, 1, everywhere));
        assertEquals("the don't-care region covers the whole 200 x 200 image: no defect can be painted where it "
                + "counts", refused.getMessage());
    }

    @Test
    void settingsOutOfRangeAreRefusedWithTheRange() {
        var none = assertThrows(IllegalArgumentException.class, () -> new SyntheticDefects.Settings(List.of(), 0.1,
                0.2));
        assertEquals("at least one synthetic defect kind is needed", none.getMessage());
        var sizes = assertThrows(IllegalArgumentException.class, () -> new SyntheticDefects.Settings(
                List.of(DefectKind.SPOT), 0.3, 0.2));
        assertEquals("synthetic defect sizes must satisfy 0 < min <= max <= 0.5 of the image's shorter side, were 0.3 "
                + "and 0.2", sizes.getMessage());
        var kind = assertThrows(IllegalArgumentException.class, () -> DefectKind.of("dent"));
        assertEquals("unknown synthetic defect kind 'dent' (kinds: cut-paste, scar, noise, spot)", kind.getMessage());
    }

    /** The test set it writes is one evaluate reads: every defect with its mask, the normals as good. */
    @Test
    void theTestSetIsMvtecLayoutWithAMaskForEveryDefect() throws Exception {
        List<Path> normals = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path file = dir.resolve("normals").resolve("n" + i + ".png");
            Files.createDirectories(file.getParent());
            ImageIO.write(texture(80, 60, i), "png", file.toFile());
            normals.add(file);
        }
        SyntheticTestSet.Written written = SyntheticTestSet.write(normals, dir.resolve("set"), 10,
                SyntheticDefects.Settings.DEFAULT, 1);
        assertEquals(3, written.normals());
        assertEquals(10, written.defects().values().stream().mapToInt(Integer::intValue).sum());
        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(dir.resolve("set"));
        assertEquals(13, samples.size());
        assertEquals(3, samples.stream().filter(s -> !s.defective()).count());
        for (MvtecTestSet.Sample sample : samples.stream().filter(MvtecTestSet.Sample::defective).toList()) {
            assertTrue(sample.mask() != null, sample.image() + " has its mask");
            assertEquals(sample.type(), DefectKind.of(sample.type()).label());
        }
    }

    /** Random grey texture with some structure, as a part's surface. */
    private static BufferedImage texture(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = 90 + (int) (40 * Math.sin(x / 7.0) * Math.cos(y / 11.0)) + random.nextInt(20);
                image.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return image;
    }

    private static int maxChannelDifference(int a, int b) {
        int max = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            max = Math.max(max, Math.abs(((a >> shift) & 0xFF) - ((b >> shift) & 0xFF)));
        }
        return max;
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static int count(BufferedImage mask) {
        int n = 0;
        for (int y = 0; y < mask.getHeight(); y++) {
            for (int x = 0; x < mask.getWidth(); x++) {
                n += mask.getRaster().getSample(x, y, 0) == 255 ? 1 : 0;
            }
        }
        return n;
    }
}
