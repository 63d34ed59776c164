package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.GetResultRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's durability contract, with kill -9 while two cameras score at a steady rate: after a restart every
 * result a camera was told of (its result id in a reply) is in the journal as it was told, and result ids go on
 * above every one given before, none reused.
 */
class JournalCrashTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedResultSurvivesKillNineAndIdsAreNotReused() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Path config = Files.writeString(dir.resolve("node.yaml"),
                "server:\n  host: 127.0.0.1\n  plaintext: true\nmetrics:\n  enabled: false\n");
        Map<Long, Verdict> acknowledged = new ConcurrentHashMap<>();
        try (NodeProcess node = new NodeProcess(config, store, null)) {
            ScoreRequest request = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            AtomicBoolean scoring = new AtomicBoolean(true);
            ExecutorService cameras = Executors.newFixedThreadPool(2);
            List<Future<?>> running = List.of(0, 1).stream().map(camera -> cameras.submit(() -> {
                for (int i = 0; scoring.get(); i++) {
                    try {
                        Verdict verdict = InspectionGrpc.newBlockingStub(node.channel)
                                .withDeadlineAfter(10, TimeUnit.SECONDS).score(request.toBuilder()
                                        .setPartId("camera-" + camera + "-" + i).build()).getVerdict();
                        acknowledged.put(verdict.getResultId(), verdict);
                    } catch (RuntimeException killed) {
                        return;
                    }
                }
            })).<Future<?>>map(f -> f).toList();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.size() < 200 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            node.kill();
            scoring.set(false);
            for (Future<?> camera : running) {
                camera.get(30, TimeUnit.SECONDS);
            }
            cameras.shutdown();
        }
        assertTrue(acknowledged.size() >= 200, acknowledged.size() + " results before the kill");
        assertTrue(acknowledged.keySet().stream().allMatch(id -> id > 0), "every reply named its result id");

        try (NodeProcess node = new NodeProcess(config, store, null)) {
            ResultsGrpc.ResultsBlockingStub results = ResultsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            for (Verdict told : acknowledged.values()) {
                InspectionRecord kept = results.getResult(GetResultRequest.newBuilder()
                        .setResultId(told.getResultId()).build());
                assertEquals(told.getPartId(), kept.getPartId());
                assertEquals(told.getRawScore(), kept.getRawScore(), 0);
            }
            long highest = acknowledged.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
            Verdict after = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).getVerdict();
            assertTrue(after.getResultId() > highest, after.getResultId() + " after " + highest);
        }
    }
}
