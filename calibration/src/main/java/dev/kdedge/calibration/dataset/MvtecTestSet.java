package dev.kdedge.calibration.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The test half of an MVTec-layout category: {@code test/<type>/*} with masks in {@code ground_truth/<type>/}. */
public final class MvtecTestSet {
    public static final String GOOD = "good";

    /** One test image; {@code mask} is null for good images and for defects without a mask file. */
    public record Sample(Path image, String type, Path mask) {
        public boolean defective() {
            return !GOOD.equals(type);
        }
    }

    private MvtecTestSet() {}

    public static List<Sample> load(Path category) throws IOException {
        Path test = category.resolve("test");
        if (!Files.isDirectory(test)) {
            throw new IOException(category + " is not an MVTec-layout category (no test/ folder)");
        }
        List<Path> types;
        try (Stream<Path> entries = Files.list(test)) {
            types = entries.filter(Files::isDirectory).sorted().toList();
        }
        List<Sample> samples = new ArrayList<>();
        for (Path typeDir : types) {
            String type = typeDir.getFileName().toString();
            for (Path image : ImageFolders.list(typeDir)) {
                Path mask = null;
                if (!GOOD.equals(type)) {
                    String name = image.getFileName().toString();
                    String stem = name.substring(0, name.lastIndexOf('.'));
                    Path candidate = category.resolve("ground_truth").resolve(type).resolve(stem + "_mask.png");
                    mask = Files.isRegularFile(candidate) ? candidate : null;
                }
                samples.add(new Sample(image, type, mask));
            }
        }
        return samples;
    }
}
