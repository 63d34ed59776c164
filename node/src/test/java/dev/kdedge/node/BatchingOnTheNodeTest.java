package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batching across clients on a real node over gRPC: eight clients at once get frames run together (batch_size > 1,
 * never above the bound), each verdict exactly the one its image gets alone; a lone frame runs alone at once even
 * with a window far longer than a request.
 */
class BatchingOnTheNodeTest {
    private static final int CLIENTS = 8;
    private static final int CALLS_PER_CLIENT = 6;

    @TempDir
    Path dir;

    @Test
    void concurrentClientsAreBatchedAndEachGetsItsOwnVerdict() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        List<Path> images;
        try (Stream<Path> files = Stream.concat(Files.list(DemoFixture.testSet().resolve("test/good")),
                Files.list(DemoFixture.testSet().resolve("test/scratch")))) {
            images = files.sorted().limit(CLIENTS).toList();
        }
        try (RunningNode node = new RunningNode(store, c -> {
            c.scoring.workerThreads = 4;
            c.scoring.batching.maxBatch = 4;
            c.scoring.batching.windowMillis = 1000;
        })) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            inspection.score(DemoRequests.scoreRequest(images.get(0)));
            Map<Path, Verdict> alone = new HashMap<>();
            for (Path image : images) {
                long start = System.nanoTime();
                Verdict verdict = inspection.score(DemoRequests.scoreRequest(image)).getVerdict();
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(1, verdict.getTimings().getBatchSize(), "a lone frame ran with others");
                assertTrue(ms < 900, "a lone frame waited for the 1 s window: " + ms + " ms");
                alone.put(image, verdict);
            }
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<List<Verdict>>> answers = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    ScoreRequest request = DemoRequests.scoreRequest(images.get(c));
                    answers.add(clients.submit(() -> {
                        var stub = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
                        List<Verdict> verdicts = new ArrayList<>();
                        for (int i = 0; i < CALLS_PER_CLIENT; i++) {
                            verdicts.add(stub.score(request).getVerdict());
                        }
                        return verdicts;
                    }));
                }
                int largestBatch = 0;
                for (int c = 0; c < CLIENTS; c++) {
                    Verdict expected = alone.get(images.get(c));
                    for (Verdict verdict : answers.get(c).get(120, TimeUnit.SECONDS)) {
                        assertEquals(expected.getRawScore(), verdict.getRawScore(),
                                1e-5 * Math.abs(expected.getRawScore()), images.get(c) + " in a batch of "
                                        + verdict.getTimings().getBatchSize());
                        assertEquals(expected.getIsAnomalous(), verdict.getIsAnomalous());
                        largestBatch = Math.max(largestBatch, verdict.getTimings().getBatchSize());
                    }
                }
                assertTrue(largestBatch > 1, "eight clients at once were never batched");
                assertTrue(largestBatch <= 4, "a batch of " + largestBatch + " exceeds scoring.batching.maxBatch");
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
