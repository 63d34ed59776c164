package dev.kdedge.calibration.synthetic;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Writes an MVTec-layout test set from normal images the product was not fitted on: {@code test/good/} holds them,
 * {@code test/<kind>/} the synthetic defects painted on them (the i-th on the (i mod n)-th normal, seed {@code seed + i})
 * and {@code ground_truth/<kind>/<name>_mask.png} their masks, all as PNG so that no codec tells the two apart.
 * {@code kdedge-calibrate evaluate} reads it as it reads real defects.
 */
public final class SyntheticTestSet {
    private SyntheticTestSet() {}

    /** How many defects of each kind were written. */
    public record Written(int normals, Map<DefectKind, Integer> defects) {}

    /** @throws IOException when an image cannot be read or written, naming it */
    public static Written write(List<Path> normals, Path out, int count, SyntheticDefects.Settings settings,
            long seed) throws IOException {
        if (normals.isEmpty()) {
            throw new IOException("no normal images to paint defects on");
        }
        Path good = Files.createDirectories(out.resolve("test").resolve(MvtecTestSet.GOOD));
        BufferedImage[] images = new BufferedImage[normals.size()];
        for (int i = 0; i < normals.size(); i++) {
            images[i] = ImageIO.read(normals.get(i).toFile());
            if (images[i] == null) {
                throw new IOException("cannot read " + normals.get(i) + " as an image");
            }
            ImageIO.write(images[i], "png", good.resolve(String.format("%04d.png", i)).toFile());
        }
        SyntheticDefects painter = new SyntheticDefects(settings);
        Map<DefectKind, Integer> written = new EnumMap<>(DefectKind.class);
        for (int i = 0; i < count; i++) {
            SyntheticDefects.Defect defect = painter.paint(images[i % images.length], seed + i);
            String name = String.format("%04d", i);
            Path test = Files.createDirectories(out.resolve("test").resolve(defect.kind().label()));
            Path truth = Files.createDirectories(out.resolve("ground_truth").resolve(defect.kind().label()));
            ImageIO.write(defect.image(), "png", test.resolve(name + ".png").toFile());
            ImageIO.write(defect.mask(), "png", truth.resolve(name + "_mask.png").toFile());
            written.merge(defect.kind(), 1, Integer::sum);
        }
        return new Written(images.length, written);
    }
}
