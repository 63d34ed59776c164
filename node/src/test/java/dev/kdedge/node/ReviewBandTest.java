package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.Verdict;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A version with a review band, as the line and the people behind it see it: a part scoring in the band is
 * NOT_DECIDABLE (with is_anomalous set, so a client reading only that never passes it), recorded so in the journal
 * with its image kept for whoever decides, counted as {@code verdict="review"}; below the band OK, at the threshold
 * NOT_OK; {@code remote status} shows the band; a part seen by two cameras with one view in the band is
 * NOT_DECIDABLE, naming the view.
 */
class ReviewBandTest {
    @TempDir
    Path dir;

    @Test
    void aScoreInTheBandIsNotDecidedButSentToAPerson() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        ModelStore modelStore = new ModelStore(store);
        ProductBundle current = modelStore.activeBundle(DemoFixture.PRODUCT);
        // the demo's good test tiles scored offline by the same served graph: the band starts in the widest gap
        // between two neighbouring scores below the threshold, far from any difference threads make in the sums
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
        List<Path> aroundTheEdge = below.subList(widest, widest + 2);
        double reviewFrom = (scores.get(aroundTheEdge.get(0)) + scores.get(aroundTheEdge.get(1))) / 2;
        ProductBundle banded = modelStore.writeVersion(DemoFixture.PRODUCT, (staging, version) -> {
            Files.copy(current.studentFile(), staging.resolve("student.onnx"));
            Files.copy(current.servedFile(), staging.resolve(current.servedFile().getFileName()));
            Manifest m = current.manifest();
            return new Manifest(m.format(), m.product(), version, m.method(), m.anomalyMap(), m.createdAt(),
                    m.teacher(), m.student(), m.preprocessing(), new Manifest.Threshold(t.policy(),
                            t.targetFalseRejectRate(), t.targetSyntheticRecall(), 0.9, t.source(), t.images(),
                            t.calibration().withReviewFrom(reviewFrom), t.f1OptimalThreshold(), t.f1(),
                            t.synthetic()), m.training(), m.version(), m.served(), null, null, null);
        });
        modelStore.activate(DemoFixture.PRODUCT, banded.version());

        try (RunningNode node = new RunningNode(store, c -> c.models.enabled = true)) {
            Verdict accepted = score(node, aroundTheEdge.get(0));
            assertEquals(Evaluation.OK, accepted.getEvaluation());
            assertFalse(accepted.getIsAnomalous());
            assertEquals(reviewFrom, accepted.getReviewFrom(), 1e-12);

            Verdict toReview = score(node, aroundTheEdge.get(1));
            assertEquals(Evaluation.NOT_DECIDABLE, toReview.getEvaluation(), toReview.toString());
            assertTrue(toReview.getIsAnomalous(), "a client reading is_anomalous alone does not pass it");
            assertTrue(toReview.getRawScore() < toReview.getThreshold());
            assertEquals(Evaluation.NOT_DECIDABLE, ResultsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS).getResult(GetResultRequest.newBuilder()
                            .setResultId(toReview.getResultId()).build()).getEvaluation(), "as the journal keeps it");
            assertArrayEquals(Files.readAllBytes(aroundTheEdge.get(1)), ResultImagesTest.awaitImage(node,
                    toReview.getResultId()).getImage().toByteArray(), "its image is kept for whoever decides");

            assertEquals(Evaluation.NOT_OK, score(node, DemoFixture.sampleDefect()).getEvaluation());
            MetricsScrape.awaitValue(node, "kdedge_verdicts_total{product=\"demo\",verdict=\"review\",version=\"2\"}",
                    1);

            CalibrateCli.Run status = CalibrateCli.run("remote", "status", "--node=127.0.0.1:" + node.server.port(),
                    "--product=" + DemoFixture.PRODUCT);
            assertEquals(0, status.exitCode(), status.err());
            assertTrue(status.out().contains(String.format(Locale.ROOT, "review band from %.6g",
                    reviewFrom)), status.out());
        }

        // a part two cameras see, one view in the band: the part goes to a person too, saying which view
        try (RunningNode node = new RunningNode(store, c -> c.parts.views = Map.of(DemoFixture.PRODUCT,
                List.of("top", "side")))) {
            InspectionGrpc.InspectionBlockingStub inspection = InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            inspection.score(DemoRequests.scoreRequest(aroundTheEdge.get(0)).toBuilder().setPartId("SN-1")
                    .setView("top").build());
            inspection.score(DemoRequests.scoreRequest(aroundTheEdge.get(1)).toBuilder().setPartId("SN-1")
                    .setView("side").build());
            InspectionRecord part = MultiViewPartsTest.awaitParts(ResultsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS), 1).get("SN-1");
            assertEquals(Evaluation.NOT_DECIDABLE, part.getEvaluation());
            assertEquals("view side scored in the review band", part.getNote());
        }
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

    private static Verdict score(RunningNode node, Path image) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(DemoRequests.scoreRequest(image)).getVerdict();
    }
}
