package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A product loading for the first time does not take a scoring worker while it loads: with a single worker and the
 * engine loader held, requests for a product already loaded are served, and the new product's request completes once
 * its load may run. A product whose load fails is UNAVAILABLE, and the others are still served.
 */
class LoadingProductTest {
    @TempDir
    Path dir;

    /** Runs loads on one thread, except while held: then they wait, in order, for {@link #release}. */
    @Test
    void aProductThatCannotBeLoadedIsUnavailableAndTheOthersAreServed() throws Exception {
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), "demo-b");
        Files.write(store.resolve("products/demo-b/versions/1/served.onnx"), new byte[] {1, 2, 3});
        try (HeldWorkersNode node = new HeldWorkersNode(store, 1, 8)) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            ScoreRequest demo = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            var broken = assertThrows(StatusRuntimeException.class,
                    () -> inspection.score(demo.toBuilder().setProduct("demo-b").build()));
            assertEquals(Status.Code.UNAVAILABLE, broken.getStatus().getCode(), broken.getStatus().toString());
            assertTrue(broken.getStatus().getDescription().contains("product demo-b cannot be loaded"),
                    broken.getStatus().getDescription());
            assertEquals("demo", inspection.score(demo).getVerdict().getProduct());
        }
    }

    private static final class HeldLoader implements Executor {
        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private final List<Runnable> waiting = new ArrayList<>();
        private boolean held;

        @Override
        public synchronized void execute(Runnable load) {
            if (held) {
                waiting.add(load);
            } else {
                thread.execute(load);
            }
        }

        synchronized void hold() {
            held = true;
        }

        synchronized int waiting() {
            return waiting.size();
        }

        synchronized void release() {
            held = false;
            waiting.forEach(thread::execute);
            waiting.clear();
        }
    }

    @Test
    void aProductLoadingForTheFirstTimeDoesNotStallTheOthers() throws Exception {
        Path store = DemoFixture.copyOfStoreWithSecondProduct(dir.resolve("store"), "demo-b");
        HeldLoader loader = new HeldLoader();
        try (HeldWorkersNode node = new HeldWorkersNode(store, 1, 8, 8, loader)) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel);
            ScoreRequest demo = DemoRequests.scoreRequest(DemoFixture.sampleGood());
            assertFalse(inspection.withDeadlineAfter(60, TimeUnit.SECONDS).score(demo).getVerdict().getIsAnomalous());

            loader.hold();
            var pending = InspectionGrpc.newFutureStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .score(demo.toBuilder().setProduct("demo-b").build());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (loader.waiting() == 0) {
                assertTrue(System.nanoTime() < until, "demo-b's load never started");
                Thread.sleep(1);
            }
            for (int i = 0; i < 3; i++) {
                assertEquals("demo", inspection.withDeadlineAfter(30, TimeUnit.SECONDS).score(demo).getVerdict()
                        .getProduct(), "served while demo-b loads");
            }
            assertFalse(pending.isDone());

            loader.release();
            ScoreResponse loaded = pending.get(60, TimeUnit.SECONDS);
            assertEquals("demo-b", loaded.getVerdict().getProduct());
        } finally {
            loader.release();
            loader.thread.shutdownNow();
        }
    }
}
