package dev.kdedge.node.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.image.InterleavedPixels;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Tiling;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Batching across calls, with a model that records the batches it is given and answers each frame with its own
 * number: frames that reach a busy engine go together, first come first served, at most maxBatch at a time, each
 * getting its own result; a lone frame never waits; a frame waits for company only while another is being prepared,
 * and at most the window.
 */
class InferenceBatcherTest {
    private final ExecutorService workers = Executors.newCachedThreadPool();
    /** The frames of each batch the model ran, by number, in the order it ran them. */
    private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    /** Holds the model's first run until released, so that frames arrive while the engine is busy. */
    private final CountDownLatch firstRunHeld = new CountDownLatch(1);
    private final CountDownLatch firstRunStarted = new CountDownLatch(1);
    private volatile boolean holdFirstRun;

    /** Maps and scores [N, 1, 1, 1] equal to the input: each frame's result is its own number. */
    private final Function<List<InterleavedPixels>, Scorer.Inference> model = batch -> {
        List<Integer> frames = new ArrayList<>();
        float[] numbers = new float[batch.size()];
        for (InterleavedPixels frame : batch) {
            byte number = frame.onHeap().data()[0];
            numbers[frames.size()] = number;
            frames.add((int) number);
        }
        batches.add(frames);
        if (holdFirstRun && batches.size() == 1) {
            firstRunStarted.countDown();
            try {
                firstRunHeld.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        FloatTensor results = new FloatTensor(batch.size(), 1, 1, 1, numbers);
        return new Scorer.Inference(results, results);
    };
    private final Object engine = new Object();

    @AfterEach
    void stop() {
        workers.shutdownNow();
    }

    /** A one-pixel frame whose pixel is {@code n}, or two pixels wide where it is {@code wide}. */
    private static Pixels frameNumbered(int n, boolean wide) {
        return new Pixels(wide ? 2 : 1, 1, 1, wide ? new byte[] {(byte) n, 0} : new byte[] {(byte) n});
    }

    private static Pixels frameNumbered(int n) {
        return frameNumbered(n, false);
    }

    private CompletableFuture<InferenceBatcher.Inferred> infer(InferenceBatcher batcher, int n) {
        return infer(batcher, n, false);
    }

    private CompletableFuture<InferenceBatcher.Inferred> infer(InferenceBatcher batcher, int n, boolean wide) {
        return infer(batcher, n, wide, 1);
    }

    private CompletableFuture<InferenceBatcher.Inferred> infer(InferenceBatcher batcher, int n, boolean wide,
            int tiles) {
        return CompletableFuture.supplyAsync(() -> {
            try (InferenceBatcher.Frame frame = batcher.frame(engine, model, tiles)) {
                return frame.infer(frameNumbered(n, wide));
            }
        }, workers);
    }

    private static float resultOf(InferenceBatcher.Inferred inferred) {
        return inferred.batch().scores().data()[inferred.index()];
    }

    /** Starts frame 0 on the engine, holds its run, then sends {@code count} more while it runs. */
    private List<CompletableFuture<InferenceBatcher.Inferred>> framesArrivingWhileBusy(InferenceBatcher batcher,
            int count) throws Exception {
        return framesArrivingWhileBusy(batcher, count, 1);
    }

    /** As above, each frame cut into {@code tiles} tiles. */
    private List<CompletableFuture<InferenceBatcher.Inferred>> framesArrivingWhileBusy(InferenceBatcher batcher,
            int count, int tiles) throws Exception {
        holdFirstRun = true;
        List<CompletableFuture<InferenceBatcher.Inferred>> frames = new ArrayList<>();
        frames.add(infer(batcher, 0, false, tiles));
        assertTrue(firstRunStarted.await(10, TimeUnit.SECONDS));
        for (int n = 1; n <= count; n++) {
            frames.add(infer(batcher, n, false, tiles));
            // Arrival order is the order of the lines: give each frame time to join before the next.
            Thread.sleep(20);
        }
        firstRunHeld.countDown();
        return frames;
    }

    @Test
    void framesReachingABusyEngineRunTogetherEachWithItsOwnResult() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 5, TimeUnit.MILLISECONDS);
        var frames = framesArrivingWhileBusy(batcher, 4);
        for (int n = 0; n < frames.size(); n++) {
            InferenceBatcher.Inferred inferred = frames.get(n).get(10, TimeUnit.SECONDS);
            assertEquals(n, resultOf(inferred), "frame " + n + " got another frame's result");
            assertEquals(n == 0 ? 1 : 4, inferred.batchSize());
        }
        assertEquals(List.of(List.of(0), List.of(1, 2, 3, 4)), batches);
    }

    @Test
    void framesOfAnotherSizeRunInABatchOfTheirOwn() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 5, TimeUnit.MILLISECONDS);
        holdFirstRun = true;
        List<CompletableFuture<InferenceBatcher.Inferred>> frames = new ArrayList<>();
        frames.add(infer(batcher, 0));
        assertTrue(firstRunStarted.await(10, TimeUnit.SECONDS));
        for (int n = 1; n <= 4; n++) {
            frames.add(infer(batcher, n, n % 2 == 0));
            Thread.sleep(20);
        }
        firstRunHeld.countDown();
        for (int n = 0; n < frames.size(); n++) {
            InferenceBatcher.Inferred inferred = frames.get(n).get(10, TimeUnit.SECONDS);
            assertEquals(n, resultOf(inferred), "frame " + n + " got another frame's result");
            assertEquals(n == 0 ? 1 : 2, inferred.batchSize());
        }
        // the narrow frames 1 and 3 together, then the wide 2 and 4 (which arrived behind 1)
        assertEquals(List.of(List.of(0), List.of(1, 3), List.of(2, 4)), batches);
    }

    @Test
    void batchesHoldAtMostMaxBatchFirstComeFirstServed() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 5, TimeUnit.MILLISECONDS);
        var frames = framesArrivingWhileBusy(batcher, 6);
        for (int n = 0; n < frames.size(); n++) {
            assertEquals(n, resultOf(frames.get(n).get(10, TimeUnit.SECONDS)));
        }
        assertEquals(List.of(List.of(0), List.of(1, 2, 3, 4), List.of(5, 6)), batches);
    }

    @Test
    void aBatchOfTiledFramesHoldsNoMoreTilesThanOneFrameMayHave() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 5, TimeUnit.MILLISECONDS);
        var frames = framesArrivingWhileBusy(batcher, 4, Tiling.MOST_TILES / 2 - 1);
        for (int n = 0; n < frames.size(); n++) {
            assertEquals(n, resultOf(frames.get(n).get(10, TimeUnit.SECONDS)));
        }
        assertEquals(List.of(List.of(0), List.of(1, 2), List.of(3, 4)), batches, "two frames of 31 tiles a batch");
    }

    @Test
    void framesOfMoreThanHalfTheMostTilesRunAlone() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 5, TimeUnit.MILLISECONDS);
        var frames = framesArrivingWhileBusy(batcher, 2, Tiling.MOST_TILES / 2 + 1);
        for (int n = 0; n < frames.size(); n++) {
            assertEquals(1, frames.get(n).get(10, TimeUnit.SECONDS).batchSize());
        }
        assertEquals(List.of(List.of(0), List.of(1), List.of(2)), batches);
    }

    @Test
    void parallelRunsLetAnotherBatchRunBesideABusyOne() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(2, 2, 5, TimeUnit.MILLISECONDS);
        holdFirstRun = true;
        var held = infer(batcher, 0);
        assertTrue(firstRunStarted.await(10, TimeUnit.SECONDS));
        assertEquals(1, resultOf(infer(batcher, 1).get(10, TimeUnit.SECONDS)), "it waited for the busy run");
        assertTrue(!held.isDone());
        firstRunHeld.countDown();
        assertEquals(0, resultOf(held.get(10, TimeUnit.SECONDS)));
    }

    @Test
    void aLoneFrameNeverWaitsForTheWindow() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(8, 1, 60, TimeUnit.SECONDS);
        InferenceBatcher.Inferred inferred = infer(batcher, 7).get(10, TimeUnit.SECONDS);
        assertEquals(7, resultOf(inferred));
        assertEquals(1, inferred.batchSize());
    }

    @Test
    void aFrameWaitsForOneBeingPreparedAndRunsWithIt() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(8, 1, 60, TimeUnit.SECONDS);
        try (InferenceBatcher.Frame preparing = batcher.frame(engine, model, 1)) {
            var waiting = infer(batcher, 1);
            Thread.sleep(100);
            assertTrue(!waiting.isDone(), "it ran without the frame being prepared beside it");
            InferenceBatcher.Inferred prepared = preparing.infer(frameNumbered(2));
            assertEquals(2, resultOf(prepared));
            assertEquals(1, resultOf(waiting.get(10, TimeUnit.SECONDS)));
            assertEquals(2, prepared.batchSize());
        }
        assertEquals(List.of(List.of(1, 2)), batches);
    }

    @Test
    void aFrameThatIsDroppedWhilePreparedReleasesTheOneWaitingForIt() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(8, 1, 60, TimeUnit.SECONDS);
        InferenceBatcher.Frame abandoned = batcher.frame(engine, model, 1);
        var waiting = infer(batcher, 1);
        Thread.sleep(100);
        abandoned.close();
        assertEquals(1, waiting.get(10, TimeUnit.SECONDS).batchSize());
    }

    @Test
    void theWindowBoundsTheWaitForCompany() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(8, 1, 200, TimeUnit.MILLISECONDS);
        try (InferenceBatcher.Frame neverArrives = batcher.frame(engine, model, 1)) {
            long start = System.nanoTime();
            assertEquals(1, infer(batcher, 1).get(10, TimeUnit.SECONDS).batchSize());
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs >= 190, "ran after " + waitedMs + " ms, before the window");
        }
    }

    @Test
    void otherEnginesDoNotWaitForEachOther() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(8, 1, 60, TimeUnit.SECONDS);
        try (InferenceBatcher.Frame preparedForAnother = batcher.frame(new Object(), model, 1)) {
            assertEquals(1, infer(batcher, 3).get(10, TimeUnit.SECONDS).batchSize());
        }
    }

    @Test
    void aFailedRunFailsEveryFrameOfItsBatch() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 60, TimeUnit.SECONDS);
        IllegalStateException failure = new IllegalStateException("session lost");
        Function<List<InterleavedPixels>, Scorer.Inference> failing = batch -> {
            throw failure;
        };
        try (InferenceBatcher.Frame first = batcher.frame(engine, failing, 1)) {
            var second = CompletableFuture.supplyAsync(() -> {
                try (InferenceBatcher.Frame frame = batcher.frame(engine, failing, 1)) {
                    return frame.infer(frameNumbered(2));
                }
            }, workers);
            Thread.sleep(100);
            assertSame(failure, assertThrows(IllegalStateException.class, () -> first.infer(frameNumbered(1))));
            var e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> second.get(10, TimeUnit.SECONDS));
            assertSame(failure, e.getCause());
        }
    }

    @Test
    void aFrameRunsOnce() {
        InferenceBatcher batcher = new InferenceBatcher(4, 1, 5, TimeUnit.MILLISECONDS);
        InferenceBatcher.Frame frame = batcher.frame(engine, model, 1);
        frame.infer(frameNumbered(1));
        assertThrows(IllegalStateException.class, () -> frame.infer(frameNumbered(1)));
        frame.close();
        assertThrows(IllegalStateException.class, () -> frame.infer(frameNumbered(1)));
        assertEquals(List.of(List.of(1)), batches);
    }

    @Test
    void maxBatchOneRunsEachFrameAlone() throws Exception {
        InferenceBatcher batcher = new InferenceBatcher(1, 1, 60, TimeUnit.SECONDS);
        try (InferenceBatcher.Frame other = batcher.frame(engine, model, 1)) {
            assertEquals(1, infer(batcher, 5).get(10, TimeUnit.SECONDS).batchSize());
        }
    }
}
