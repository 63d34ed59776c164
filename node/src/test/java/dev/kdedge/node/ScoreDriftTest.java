package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ListResultsRequest;
import dev.kdedge.api.v1.ResultFilter;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.metrics.KolmogorovSmirnov;
import dev.kdedge.calibration.store.ModelStore;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drift of the good parts' scores, as the field engineer and Prometheus see it: the Kolmogorov-Smirnov statistic
 * between the OK results the journal holds for the active version and the held-out normals its fit scored, on the
 * console's product view and as {@code kdedge_score_drift}; none before enough OK results have come.
 */
class ScoreDriftTest {
    @TempDir
    Path dir;

    @Test
    void theGoodPartsScoresAreComparedWithTheHeldOutNormals() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        List<Path> good = ImageFolders.list(DemoFixture.testSet().resolve("test/good"));
        try (RunningNode node = new RunningNode(store, config -> {
            ConsoleApiTest.console(config);
            config.drift.everySeconds = 1;
            config.drift.minResults = good.size();
            config.drift.window = 1000;
        })) {
            ConsoleClient engineer = new ConsoleClient(node.server.consolePort().orElseThrow(), null);
            engineer.signIn(ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
            for (int round = 0; round < 2; round++) {
                for (Path image : good) {
                    ConsoleApiTest.score(node, image, "");
                }
            }
            List<InspectionRecord> recorded = ResultsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(30, TimeUnit.SECONDS).listResults(ListResultsRequest.newBuilder()
                            .setFilter(ResultFilter.newBuilder().setProduct(DemoFixture.PRODUCT)
                                    .setEvaluation(Evaluation.OK)).setPageSize(1000).build()).getResultsList();
            assertTrue(recorded.size() >= good.size(), "the good tiles are OK: " + recorded.size());
            double[] heldOut = new ModelStore(store).activeBundle(DemoFixture.PRODUCT).manifest().threshold()
                    .synthetic().normalScores().stream().mapToDouble(Double::doubleValue).toArray();
            double expected = KolmogorovSmirnov.statistic(recorded.stream()
                    .mapToDouble(InspectionRecord::getRawScore).toArray(), heldOut);

            MetricsScrape.awaitValue(node, "kdedge_score_drift{product=\"demo\"}", expected);
            JsonObject drift = engineer.get("/api/products").array().getJsonObject(0).getJsonObject("drift");
            assertEquals(expected, drift.getDouble("statistic"));
            assertEquals(recorded.size(), drift.getInteger("recent"));
            assertEquals(heldOut.length, drift.getInteger("heldOut"));
        }
    }
}
