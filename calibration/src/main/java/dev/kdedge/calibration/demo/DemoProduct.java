package dev.kdedge.calibration.demo;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The quickstart's product, made from nothing: synthetic textured tiles, a locally generated teacher, an STFPM
 * student fitted in seconds. Writes {@code normal/}, {@code sample-good.png} and {@code sample-defect.png} into the
 * work folder. The settings were chosen by measurement so that the two samples get the right verdicts.
 */
public final class DemoProduct {
    public static final int IMAGE_SIZE = 128;
    private static final int TEACHER_WIDTH = 32;
    private static final int EPOCHS = 8;
    private static final int BATCH_SIZE = 16;

    private DemoProduct() {}

    /**
     * @param teacher an ONNX teacher to use, or null to generate the toy teacher into the work folder
     */
    public static ProductBundle create(ModelStore store, Path work, String product, Path teacher, int images,
            FitProgress progress) throws Exception {
        SyntheticTiles tiles = new SyntheticTiles(IMAGE_SIZE);
        Path normals = Files.createDirectories(work.resolve("normal"));
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            Path file = normals.resolve(String.format("tile-%03d.png", i));
            ImageIO.write(tiles.normal(1000 + i), "png", file.toFile());
            files.add(file);
        }
        ImageIO.write(tiles.normal(1), "png", sampleGood(work).toFile());
        ImageIO.write(tiles.defective(2), "png", sampleDefect(work).toFile());
        Path teacherFile = teacher;
        if (teacherFile == null) {
            teacherFile = work.resolve("toy-teacher.onnx");
            ToyTeacher.write(teacherFile, TEACHER_WIDTH, 7);
        }
        DistillationMethod stfpm = new Stfpm();
        FitRequest request = new FitRequest(product, teacherFile, files, stfpm, Preprocessing.imagenet(IMAGE_SIZE),
                new TrainingSettings(stfpm.recipe().withBatchSize(BATCH_SIZE), EPOCHS, 42), 0.2, 0.005, true);
        return new ProductFitter(store, InferenceOptions.cpu(2)).fit(request, progress);
    }

    public static Path sampleGood(Path work) {
        return work.resolve("sample-good.png");
    }

    public static Path sampleDefect(Path work) {
        return work.resolve("sample-defect.png");
    }
}
