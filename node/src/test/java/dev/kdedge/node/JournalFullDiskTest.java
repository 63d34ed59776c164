package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.SmallFileSystem;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on a real file system that fills up: the line is scored on, each reply saying its result was not
 * recorded (result id 0); health (kdedge.v1.Results) and metrics say the journal is failing; once there is room again,
 * results are recorded again and health says so.
 */
class JournalFullDiskTest {
    @TempDir
    Path dir;

    @Test
    void aFullJournalNeverStopsScoringAndHealthAndMetricsSaySo() throws Exception {
        try (SmallFileSystem disk = SmallFileSystem.mount(dir.resolve("small"), 1024 * 1024);
                RunningNode node = new RunningNode(DemoFixture.store(),
                        c -> c.journal.path = disk.root().resolve("results.db").toString())) {
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            assertTrue(score(node, request).getResultId() > 0, "recorded while there is room");
            assertEquals(ServingStatus.SERVING, results(node));

            Path filler = disk.root().resolve("filler");
            Files.write(filler, new byte[(int) disk.usableBytes()]);
            Verdict unrecorded = null;
            for (int i = 0; unrecorded == null && i < 200; i++) {
                Verdict verdict = score(node, request);
                assertEquals(DemoFixture.PRODUCT, verdict.getProduct(), "scored");
                if (verdict.getResultId() == 0) {
                    unrecorded = verdict;
                }
            }
            assertTrue(unrecorded != null, "200 results recorded on a full disk");
            assertTrue(unrecorded.getPartId().startsWith("u"), unrecorded.getPartId());
            assertEquals(ServingStatus.NOT_SERVING, results(node));
            MetricsScrape.awaitValue(node, "kdedge_journal_failing", 1);

            Files.delete(filler);
            long recordedAgain = 0;
            for (int i = 0; recordedAgain == 0 && i < 20; i++) {
                recordedAgain = score(node, request).getResultId();
                Thread.sleep(i == 0 ? 0 : 1000);
            }
            assertTrue(recordedAgain > 0, "recorded again once there is room");
            assertEquals(ServingStatus.SERVING, results(node));
            MetricsScrape.awaitValue(node, "kdedge_journal_failing", 0);
        }
    }

    private static Verdict score(RunningNode node, ScoreRequest request) {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS).score(request)
                .getVerdict();
    }

    private static ServingStatus results(RunningNode node) {
        return HealthGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("kdedge.v1.Results").build()).getStatus();
    }
}
