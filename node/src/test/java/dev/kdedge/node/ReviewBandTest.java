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
import dev.kdedge.calibration.demo.DemoFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        BandedDemo banded = BandedDemo.publish(store);
        double reviewFrom = banded.reviewFrom();
        List<Path> aroundTheEdge = List.of(banded.accepted(), banded.toReview());

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

    private static Verdict score(RunningNode node, Path image) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(DemoRequests.scoreRequest(image)).getVerdict();
    }
}
