package dev.kdedge.calibration.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Finds images on disk: a plain folder of images, or an MVTec-layout category whose normal training images are in
 * {@code train/good}.
 */
public final class ImageFolders {
    private ImageFolders() {}

    /** The normal images to fit on: {@code dir/train/good} when {@code dir} is an MVTec category, else {@code dir}. */
    public static List<Path> normalTrainingImages(Path dir) throws IOException {
        Path mvtec = dir.resolve("train").resolve("good");
        List<Path> images = list(Files.isDirectory(mvtec) ? mvtec : dir);
        if (images.isEmpty()) {
            throw new IOException("no PNG or JPEG images in " + dir + " (nor in its train/good)");
        }
        return images;
    }

    /** PNG and JPEG files directly in {@code dir}, sorted by name. */
    public static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("not a directory: " + dir);
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isRegularFile).filter(ImageFolders::isImage).sorted().toList();
        }
    }

    static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
    }
}
