package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.DemoFixture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The node tests' guard itself: a node whose event loop is blocked fails its test when it is closed. */
class BlockedEventLoopTest {
    @Test
    void aBlockedEventLoopFailsTheTest() throws Exception {
        RunningNode node = new RunningNode(DemoFixture.store(), c -> {});
        CountDownLatch unblocked = new CountDownLatch(1);
        node.vertx.runOnContext(v -> {
            try {
                // Blocked for the bound and ten of the checker's 100 ms rounds more: it reports while this runs.
                Thread.sleep(WatchedEventLoops.MAX_EXECUTE_MS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            unblocked.countDown();
        });
        assertTrue(unblocked.await(30, TimeUnit.SECONDS));
        AssertionError failure = assertThrows(AssertionError.class, node::close);
        assertTrue(failure.getMessage().contains("blocked an event loop")
                && failure.getMessage().contains("BlockedEventLoopTest"), failure.getMessage());
    }
}
