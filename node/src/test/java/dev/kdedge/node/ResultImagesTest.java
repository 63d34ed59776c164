package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.GetResultImageRequest;
import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.KeepResultAsNormalRequest;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.ResultImage;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.UploadSummary;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images of the results that matter: every NOT_OK result's image as the camera sent it with its heatmap, one OK
 * result's in {@code keepOkOneIn}, within a byte budget (the oldest removed first); a kept OK image becomes a normal
 * of its product by result id.
 */
class ResultImagesTest {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    Path dir;

    @Test
    void rejectedPartsAreKeptWithTheirHeatmapOkOnesSampledAndAKeptOkImageBecomesANormal() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        byte[] good = Files.readAllBytes(DemoFixture.sampleGood());
        byte[] defect = Files.readAllBytes(DemoFixture.sampleDefect());
        try (RunningNode node = new RunningNode(store, c -> {
            c.models.enabled = true;
            c.journal.images.keepOkOneIn = 3;
        })) {
            List<Verdict> verdicts = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                verdicts.add(score(node, i == 4 ? DemoFixture.sampleDefect() : DemoFixture.sampleGood()));
            }
            Verdict rejected = verdicts.get(4);
            assertEquals(Evaluation.NOT_OK, rejected.getEvaluation());
            ResultImage evidence = awaitImage(node, rejected.getResultId());
            assertArrayEquals(defect, evidence.getImage().toByteArray(), "the image as the camera sent it");
            assertEquals("png", evidence.getImageFormat());
            assertArrayEquals(PNG, evidence.getHeatmapOverlay().substring(0, 4).toByteArray(), "a heatmap");

            Verdict sampled = verdicts.stream().filter(v -> v.getEvaluation() == Evaluation.OK
                    && v.getResultId() % 3 == 0).findFirst().orElseThrow();
            ResultImage okImage = awaitImage(node, sampled.getResultId());
            assertArrayEquals(good, okImage.getImage().toByteArray());
            assertTrue(okImage.getHeatmapOverlay().isEmpty(), "no heatmap for an OK part");
            Verdict notSampled = verdicts.stream().filter(v -> v.getEvaluation() == Evaluation.OK
                    && v.getResultId() % 3 != 0).findFirst().orElseThrow();
            assertEquals(Status.Code.NOT_FOUND, code(() -> results(node).getResultImage(GetResultImageRequest
                    .newBuilder().setResultId(notSampled.getResultId()).build())));
            assertTrue(results(node).getResult(GetResultRequest.newBuilder().setResultId(sampled.getResultId())
                    .build()).getImageKept());
            assertFalse(results(node).getResult(GetResultRequest.newBuilder().setResultId(notSampled.getResultId())
                    .build()).getImageKept());

            ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            int normalsBefore = models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()).getUploadedNormals();
            UploadSummary kept = models.keepResultAsNormal(KeepResultAsNormalRequest.newBuilder()
                    .setResultId(sampled.getResultId()).build());
            assertEquals(DemoFixture.PRODUCT, kept.getProduct());
            assertEquals(1, kept.getAccepted() + kept.getDuplicates(), kept.toString());
            assertEquals(normalsBefore + kept.getAccepted(), kept.getNormalsStored());
            // the field engineer's command: the same image again is kept once per content
            CalibrateCli.Run again = CalibrateCli.run("remote", "keep-normal", "--node=127.0.0.1:"
                    + node.server.port(), "--result-id=" + sampled.getResultId());
            assertEquals(0, again.exitCode(), again.err());
            assertEquals("result " + sampled.getResultId() + ": demo: 0 stored, 1 already there, 0 refused; the node "
                    + "now has " + kept.getNormalsStored() + " normal and " + kept.getDefectsStored()
                    + " defect images", again.out().strip());
            CalibrateCli.Run notKept = CalibrateCli.run("remote", "keep-normal", "--node=127.0.0.1:"
                    + node.server.port(), "--result-id=" + notSampled.getResultId());
            assertEquals(1, notKept.exitCode());
            assertTrue(notKept.err().contains("NOT_FOUND"), notKept.err());
            StatusRuntimeException notOk = assertThrows(StatusRuntimeException.class, () -> models
                    .keepResultAsNormal(KeepResultAsNormalRequest.newBuilder().setResultId(rejected.getResultId())
                            .build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, notOk.getStatus().getCode());
            assertTrue(notOk.getStatus().getDescription().contains("was NOT_OK"), notOk.getStatus().toString());
            assertEquals(Status.Code.NOT_FOUND, code(() -> models.keepResultAsNormal(KeepResultAsNormalRequest
                    .newBuilder().setResultId(notSampled.getResultId()).build())));
        }
    }

    @Test
    void theKeptImagesStayWithinTheirBudgetTheOldestRemovedFirst() throws Exception {
        long budget = 1024 * 1024;
        Path images = dir.resolve("images");
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {
            c.journal.images.keepOkOneIn = 1;
            c.journal.images.maxBytes = budget;
            c.journal.images.dir = images.toString();
        })) {
            int good = Files.readAllBytes(DemoFixture.sampleGood()).length;
            int results = (int) (2 * budget / good);
            long first = 0;
            long last = 0;
            for (int i = 0; i < results; i++) {
                last = score(node, DemoFixture.sampleGood()).getResultId();
                first = first == 0 ? last : first;
            }
            awaitImage(node, last);
            long used;
            try (Stream<Path> files = Files.list(images)) {
                used = files.mapToLong(file -> file.toFile().length()).sum();
            }
            assertTrue(used <= budget, used + " bytes kept, budget " + budget);
            assertTrue(used > budget / 2, "the budget is used: " + used);
            long oldest = first;
            assertEquals(Status.Code.NOT_FOUND, code(() -> results(node).getResultImage(GetResultImageRequest
                    .newBuilder().setResultId(oldest).build())), "the oldest made room");
        }
    }

    static ResultImage awaitImage(RunningNode node, long resultId) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return results(node).getResultImage(GetResultImageRequest.newBuilder().setResultId(resultId).build());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND || System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private static ResultsGrpc.ResultsBlockingStub results(RunningNode node) {
        return ResultsGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static Verdict score(RunningNode node, Path image) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(DemoRequests.scoreRequest(image)).getVerdict();
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }
}
