package dev.kdedge.node;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The demo product with a review band, published and activated in a copy of its store: the band starts in the widest
 * gap between two neighbouring scores of the demo's good test tiles below the threshold (scored offline by the same
 * served graph), far from any difference threads make in the sums.
 *
 * @param accepted the good tile just below the band, and {@code toReview} the one just inside it
 */
record BandedDemo(ProductBundle version, double reviewFrom, Path accepted, Path toReview) {

    static BandedDemo publish(Path store) throws Exception {
        ModelStore modelStore = new ModelStore(store);
        ProductBundle current = modelStore.activeBundle(DemoFixture.PRODUCT);
        Map<Path, Double> scores;
        try (BundleMaps maps = new BundleMaps(current, Precision.FP32, InferenceOptions.cpu(1))) {
            scores = ImageFolders.list(DemoFixture.testSet().resolve("test/good")).stream()
                    .collect(Collectors.toMap(image -> image, image -> score(maps, image)));
        }
        Manifest.Threshold t = current.manifest().threshold();
        List<Path> below = scores.keySet().stream().filter(image -> scores.get(image) < t.calibration().threshold())
                .sorted(Comparator.comparing(scores::get)).toList();
        int widest = 0;
        for (int i = 1; i + 1 < below.size(); i++) {
            if (gap(scores, below, i) > gap(scores, below, widest)) {
                widest = i;
            }
        }
        Path accepted = below.get(widest);
        Path toReview = below.get(widest + 1);
        double reviewFrom = (scores.get(accepted) + scores.get(toReview)) / 2;
        ProductBundle banded = modelStore.writeVersion(DemoFixture.PRODUCT, (staging, version) -> {
            Files.copy(current.studentFile(), staging.resolve("student.onnx"));
            Files.copy(current.servedFile(), staging.resolve(current.servedFile().getFileName()));
            Manifest m = current.manifest();
            return new Manifest(m.format(), m.product(), version, m.method(), m.anomalyMap(), m.createdAt(),
                    m.teacher(), m.student(), m.preprocessing(), new Manifest.Threshold(t.policy(),
                            t.targetFalseRejectRate(), t.targetSyntheticRecall(), 0.9, t.source(), t.images(),
                            t.calibration().withReviewFrom(reviewFrom), t.f1OptimalThreshold(), t.f1(),
                            t.synthetic(), null), m.training(), m.version(), m.served(), null, null, null,
                    m.dontCare());
        });
        modelStore.activate(DemoFixture.PRODUCT, banded.version());
        return new BandedDemo(banded, reviewFrom, accepted, toReview);
    }

    private static double gap(Map<Path, Double> scores, List<Path> sorted, int i) {
        return scores.get(sorted.get(i + 1)) - scores.get(sorted.get(i));
    }

    private static double score(BundleMaps maps, Path image) {
        try {
            return maps.score(image).map().score();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
