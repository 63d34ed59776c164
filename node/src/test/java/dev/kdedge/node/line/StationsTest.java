package dev.kdedge.node.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.Part;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.results.PartFeed;
import dev.kdedge.node.results.ResultJournal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The line's stations: recipes, what a PLC sees of a station, and the handshake's buffer, fed from a real journal. */
class StationsTest {
    @TempDir
    Path dir;

    private final ServingState serving = new ServingState(false);

    private Stations stations() {
        serving.serves("tile-a", 3);
        serving.serves("tile-b", 1);
        serving.cannotServe("tile-c", 2, "served.onnx is damaged");
        return new Stations(Map.of("press-3", "tile-a", "press-4", ""), 3, serving);
    }

    @Test
    void aRequestNamingAStationIsScoredAgainstItsRecipe() {
        Stations stations = stations();
        assertEquals("tile-a", stations.withRecipe(request("", "press-3")).product());
        assertEquals("tile-a", stations.withRecipe(request("tile-a", "press-3")).product());
        assertEquals("tile-z", stations.withRecipe(request("tile-z", "elsewhere")).product(), "not a station of ours");
        assertRefused(Rejection.FAILED_PRECONDITION, "station 'press-3' is prepared for recipe 'tile-a', not 'tile-b'",
                () -> stations.withRecipe(request("tile-b", "press-3")));
        assertRefused(Rejection.FAILED_PRECONDITION, "station 'press-4' has no recipe yet",
                () -> stations.withRecipe(request("", "press-4")));

        stations.prepareRecipe("press-3", "tile-b");
        assertEquals("tile-b", stations.withRecipe(request("", "press-3")).product());
        assertRefused(Rejection.NOT_FOUND, "no station 'press-9' (stations: ",
                () -> stations.prepareRecipe("press-9", "tile-a"));
        assertRefused(Rejection.NOT_FOUND, "no product 'tile-q' on this node",
                () -> stations.prepareRecipe("press-3", "tile-q"));
        assertRefused(Rejection.FAILED_PRECONDITION, "product 'tile-c' cannot be scored now: served.onnx is damaged",
                () -> stations.prepareRecipe("press-3", "tile-c"));
        assertEquals("tile-b", stations.station("press-3").orElseThrow().recipe(), "a refused switch changes nothing");
    }

    @Test
    void aStationIsReadyBusyOrInErrorAsAPlcSeesIt() {
        Stations stations = stations();
        Station press3 = stations.station("press-3").orElseThrow();
        assertEquals(Station.State.READY, stations.state(press3));
        assertEquals(Station.State.ERROR, stations.state(stations.station("press-4").orElseThrow()), "no recipe");
        stations.started("press-3");
        stations.started("press-3");
        assertEquals(Station.State.BUSY, stations.state(press3));
        stations.finished("press-3");
        assertEquals(Station.State.BUSY, stations.state(press3), "one frame still in flight");
        stations.finished("press-3");
        assertEquals(Station.State.READY, stations.state(press3));
        serving.cannotServe("tile-a", 4, "promotion failed");
        assertEquals(Station.State.ERROR, stations.state(press3), "its recipe no longer served");
    }

    /**
     * A PLC that falls behind: the station keeps its last three unacknowledged results, the oldest pushed out with
     * the overrun flag set; acknowledging clears it. Results come from a real journal, parts only, in id order.
     */
    @Test
    void resultsReachTheirStationAndAPlcThatFallsBehindSeesTheOverrun() throws Exception {
        Stations stations = stations();
        StationResults press3 = stations.station("press-3").orElseThrow().results();
        try (ResultJournal journal = ResultJournal.open(new ResultJournal.Settings(dir.resolve("results.db"), 1000,
                Duration.ZERO, ResultJournal.Sync.NORMAL), serving);
                PartFeed feed = new PartFeed(journal)) {
            feed.onPart(stations::recorded);
            List<CompletableFuture<InspectionResult>> recorded = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                recorded.add(journal.record(result(new Part("SN-" + i, "press-3", "")), "camera", true));
            }
            recorded.add(journal.record(result(new Part("SN-6", "press-3", "top")), "camera", false));
            recorded.add(journal.record(result(new Part("SN-7", "elsewhere", "")), "camera", true));
            for (CompletableFuture<InspectionResult> one : recorded) {
                one.get(30, TimeUnit.SECONDS);
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!press3.latest().map(r -> r.part().id().equals("SN-5")).orElse(false)
                    && System.nanoTime() < until) {
                Thread.sleep(10);
            }
        }
        assertTrue(press3.overrun(), "SN-1 and SN-2 were pushed out unacknowledged");
        assertEquals(List.of("SN-3", "SN-4", "SN-5"), press3.unacknowledged().stream().map(r -> r.part().id())
                .toList());
        assertEquals("SN-5", press3.latest().orElseThrow().part().id());
        assertEquals(2, stations.acknowledge("press-3", press3.unacknowledged().get(1).resultId()));
        assertFalse(press3.overrun());
        assertEquals(List.of("SN-5"), press3.unacknowledged().stream().map(r -> r.part().id()).toList());
        assertRefused(Rejection.NOT_FOUND, "no station 'press-9'", () -> stations.acknowledge("press-9", 1));
    }

    private static InspectionRequest request(String product, String station) {
        return new InspectionRequest(product, 0, null, HeatmapWish.NONE, InspectionRequest.NO_DEADLINE, "camera",
                new Part("SN-1", station, ""), "camera");
    }

    private static InspectionResult result(Part part) {
        return new InspectionResult(new InspectionResult.Verdict("tile-a", 3, 0.1, 0.2, Evaluation.OK, 0.5, null, "fp32",
                new InspectionResult.StageTimes(1, 2, 3, 4, 0, 10, 1)), Optional.empty(), Optional.empty(), part, 0);
    }

    private static void assertRefused(Rejection reason, String message, Runnable call) {
        RejectedRequestException refused = assertThrows(RejectedRequestException.class, call::run);
        assertEquals(reason, refused.reason());
        assertTrue(refused.getMessage().startsWith(message), refused.getMessage());
    }
}
