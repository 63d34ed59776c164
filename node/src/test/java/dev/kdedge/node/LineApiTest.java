package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.AcknowledgeResultsRequest;
import dev.kdedge.api.v1.AcknowledgeResultsResponse;
import dev.kdedge.api.v1.GetStationRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.LineGrpc;
import dev.kdedge.api.v1.ListStationsRequest;
import dev.kdedge.api.v1.PrepareRecipeRequest;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Station;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The line's stations over gRPC: a camera at a configured station names the station, not the product, and its frames
 * are scored against the station's recipe; a PLC's gateway switches the recipe, sees each part's result, and
 * acknowledges them (the Line service).
 */
class LineApiTest {
    @Test
    void aCameraAtAStationIsScoredAgainstTheStationsRecipe() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> c.line.stations = Map.of("press-3",
                DemoFixture.PRODUCT, "press-4", ""))) {
            InspectionGrpc.InspectionBlockingStub inspection = InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            ScoreRequest frame = DemoRequests.scoreRequest(DemoFixture.sampleDefect()).toBuilder().clearProduct()
                    .setStation("press-3").setPartId("SN-1").build();
            Verdict verdict = inspection.score(frame).getVerdict();
            assertEquals(DemoFixture.PRODUCT, verdict.getProduct());
            assertEquals("press-3", verdict.getStation());
            assertTrue(verdict.getResultId() > 0);

            StatusRuntimeException other = assertThrows(StatusRuntimeException.class,
                    () -> inspection.score(frame.toBuilder().setProduct("tile-b").build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, other.getStatus().getCode());
            assertEquals("station 'press-3' is prepared for recipe 'demo', not 'tile-b'",
                    other.getStatus().getDescription());
            StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
                    () -> inspection.score(frame.toBuilder().setStation("press-4").build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, none.getStatus().getCode());
            StatusRuntimeException unnamed = assertThrows(StatusRuntimeException.class,
                    () -> inspection.score(frame.toBuilder().setStation("elsewhere").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, unnamed.getStatus().getCode(),
                    "a station not configured has no recipe: the product is required");
        }
    }

    /**
     * The handshake: the gateway prepares a recipe for a station that had none, three parts are scored there, the
     * station holds the latest and the last two unacknowledged with the overrun flag (its buffer holds two); the
     * gateway acknowledges them and the flag clears.
     */
    @Test
    void aGatewayPreparesARecipeFollowsTheStationAndAcknowledgesItsResults() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {
            c.line.stations = Map.of("press-4", "");
            c.line.bufferSize = 2;
        })) {
            LineGrpc.LineBlockingStub line = LineGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            Station before = line.listStations(ListStationsRequest.getDefaultInstance()).getStations(0);
            assertEquals("press-4", before.getName());
            assertEquals(Station.State.ERROR, before.getState(), "no recipe yet");
            StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> line.prepareRecipe(
                    PrepareRecipeRequest.newBuilder().setStation("press-4").setProduct("tile-q").build()));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
            assertEquals("no product 'tile-q' on this node", unknown.getStatus().getDescription());
            Station prepared = line.prepareRecipe(PrepareRecipeRequest.newBuilder().setStation("press-4")
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(DemoFixture.PRODUCT, prepared.getRecipe());
            assertEquals(Station.State.READY, prepared.getState());

            InspectionGrpc.InspectionBlockingStub camera = InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            ScoreRequest frame = DemoRequests.scoreRequest(DemoFixture.sampleGood()).toBuilder().clearProduct()
                    .setStation("press-4").build();
            List<Verdict> verdicts = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                verdicts.add(camera.score(frame.toBuilder().setPartId("SN-" + i).build()).getVerdict());
            }
            GetStationRequest press4 = GetStationRequest.newBuilder().setStation("press-4").build();
            Station seen = line.getStation(press4);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.getLatestResult().getResultId() != verdicts.get(2).getResultId()
                    && System.nanoTime() < until) {
                Thread.sleep(20);
                seen = line.getStation(press4);
            }
            assertEquals("SN-3", seen.getLatestResult().getPartId());
            assertEquals(List.of("SN-2", "SN-3"), seen.getUnacknowledgedList().stream()
                    .map(InspectionRecord::getPartId).toList());
            assertTrue(seen.getOverrun(), "SN-1 was pushed out unacknowledged");
            assertEquals(2, seen.getBufferSize());

            AcknowledgeResultsResponse acknowledged = line.acknowledgeResults(AcknowledgeResultsRequest.newBuilder()
                    .setStation("press-4").setResultId(verdicts.get(2).getResultId()).build());
            assertEquals(2, acknowledged.getAcknowledged());
            assertFalse(acknowledged.getStation().getOverrun());
            assertEquals(0, acknowledged.getStation().getUnacknowledgedCount());
            assertEquals("SN-3", acknowledged.getStation().getLatestResult().getPartId());
            // the same, as the field engineer reads it
            CalibrateCli.Run stations = CalibrateCli.run("line", "stations", "--node=127.0.0.1:" + node.server.port());
            assertEquals(0, stations.exitCode(), stations.err());
            assertTrue(stations.out().startsWith("press-4: READY, recipe demo, 0 of 2 unacknowledged\n  latest result "
                    + verdicts.get(2).getResultId() + ", part SN-3: "), stations.out());
            CalibrateCli.Run wrong = CalibrateCli.run("line", "prepare-recipe", "--node=127.0.0.1:"
                    + node.server.port(), "--station=press-4", "--product=tile-q");
            assertEquals(1, wrong.exitCode());
            assertTrue(wrong.err().contains("NOT_FOUND: no product 'tile-q' on this node"), wrong.err());

            StatusRuntimeException noStation = assertThrows(StatusRuntimeException.class, () -> line.getStation(
                    GetStationRequest.newBuilder().setStation("press-9").build()));
            assertEquals(Status.Code.NOT_FOUND, noStation.getStatus().getCode());
        }
    }
}
