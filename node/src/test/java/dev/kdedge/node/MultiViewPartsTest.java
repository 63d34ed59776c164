package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ListResultsRequest;
import dev.kdedge.api.v1.ResultFilter;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A product whose parts two cameras see (parts.views: top and side): each part's result is recorded once both views
 * have come, NOT_OK if either is, OK if both are; a part whose second view never comes is NOT_DECIDABLE after the
 * timeout, and one whose view failed to score is NOT_DECIDABLE, never OK.
 */
class MultiViewPartsTest {
    @Test
    void aPartIsDecidedFromItsViewsOrNotDecidableWhenOneFailsOrNeverComes() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {
            c.parts.views = Map.of(DemoFixture.PRODUCT, List.of("top", "side"));
            c.parts.timeoutMillis = 1000;
        })) {
            Verdict top1 = score(node, "SN-1", "top", DemoFixture.sampleGood());
            Verdict side1 = score(node, "SN-1", "side", DemoFixture.sampleGood());
            score(node, "SN-2", "top", DemoFixture.sampleGood());
            Verdict side2 = score(node, "SN-2", "side", DemoFixture.sampleDefect());
            assertEquals(Evaluation.NOT_OK, side2.getEvaluation(), "each view's own verdict goes to its camera");
            score(node, "SN-3", "top", DemoFixture.sampleGood());
            score(node, "SN-4", "top", DemoFixture.sampleGood());
            assertThrows(StatusRuntimeException.class, () -> InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS).score(ScoreRequest.newBuilder()
                            .setProduct(DemoFixture.PRODUCT).setPartId("SN-4").setView("side")
                            .setImage(Image.newBuilder().setEncoded(ByteString.copyFromUtf8("not an image"))).build()));

            ResultsGrpc.ResultsBlockingStub results = ResultsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            Map<String, InspectionRecord> parts = awaitParts(results, 4);
            InspectionRecord sn1 = parts.get("SN-1");
            assertEquals(Evaluation.OK, sn1.getEvaluation());
            assertEquals(List.of(top1.getResultId(), side1.getResultId()), sn1.getViewResultIdsList());
            assertEquals("", sn1.getView());
            assertEquals(Evaluation.NOT_OK, parts.get("SN-2").getEvaluation());
            assertEquals(side2.getRawScore(), parts.get("SN-2").getRawScore(), 0, "the part scores as its worst view");
            assertEquals(Evaluation.NOT_DECIDABLE, parts.get("SN-3").getEvaluation());
            assertTrue(parts.get("SN-3").getNote().contains("[side] did not come within 1000 ms"),
                    parts.get("SN-3").getNote());
            assertEquals(Evaluation.NOT_DECIDABLE, parts.get("SN-4").getEvaluation());
            assertTrue(parts.get("SN-4").getNote().startsWith("view side failed"), parts.get("SN-4").getNote());

            InspectionRecord view = results.getResult(GetResultRequest.newBuilder().setResultId(top1.getResultId())
                    .build());
            assertFalse(view.getPartResult(), "a view's result is not the part's");
            assertEquals("top", view.getView());
        }
    }

    /** The parts' own results, by part id, once {@code count} are recorded. */
    static Map<String, InspectionRecord> awaitParts(ResultsGrpc.ResultsBlockingStub results, int count)
            throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<InspectionRecord> parts = results.listResults(ListResultsRequest.newBuilder()
                    .setFilter(ResultFilter.newBuilder().setPartsOnly(true)).build()).getResultsList();
            if (parts.size() >= count || System.nanoTime() > until) {
                assertEquals(count, parts.size(), parts.toString());
                return parts.stream().collect(Collectors.toMap(InspectionRecord::getPartId, part -> part));
            }
            Thread.sleep(100);
        }
    }

    private static Verdict score(RunningNode node, String partId, String view, Path image) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(DemoRequests.scoreRequest(image).toBuilder().setPartId(partId).setView(view).build())
                .getVerdict();
    }
}
