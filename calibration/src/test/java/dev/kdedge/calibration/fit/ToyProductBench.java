package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;

/**
 * What a test fits a toy product from, in its directory: a small teacher (16 channels, three taps), twelve normal
 * images as PNG files and a store, fitted on the CPU with one thread.
 */
record ToyProductBench(Path teacher, List<Path> normals, ModelStore store) {
    static final int NORMALS = 12;

    /** @param normal the {@code i}th normal image, for i from 0 */
    static ToyProductBench in(Path dir, IntFunction<BufferedImage> normal) throws IOException {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 16, 3);
        List<Path> normals = new ArrayList<>();
        for (int i = 0; i < NORMALS; i++) {
            normals.add(png(normal.apply(i), dir.resolve("normal/" + i + ".png")));
        }
        return new ToyProductBench(teacher, List.copyOf(normals), new ModelStore(dir.resolve("store")));
    }

    ProductBundle fit(FitRequest request) throws Exception {
        return new ProductFitter(store, InferenceOptions.cpu(1)).fit(request, FitProgress.NONE);
    }

    static Path png(BufferedImage image, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
        return file;
    }
}
