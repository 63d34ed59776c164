package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A camera at a configured station names the station, not the product: its frames are scored against the station's
 * recipe (line.stations), and a frame naming another product than the recipe is refused, not scored against the
 * wrong model.
 */
class StationRecipesTest {
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
}
