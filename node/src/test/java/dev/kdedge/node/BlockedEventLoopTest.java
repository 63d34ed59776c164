package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The node tests' guard itself: a node whose event loop is blocked fails its test when it is closed. */
class BlockedEventLoopTest {
    @Test
    void aBlockedEventLoopFailsTheTest() throws Exception {
        RunningNode node = new RunningNode(DemoStore.store(), c -> {});
        node.vertx.runOnContext(v -> {
            try {
                Thread.sleep(WatchedEventLoops.MAX_EXECUTE_MS + 500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread.sleep(WatchedEventLoops.MAX_EXECUTE_MS + 1000);
        AssertionError failure = assertThrows(AssertionError.class, node::close);
        assertTrue(failure.getMessage().contains("blocked an event loop")
                && failure.getMessage().contains("BlockedEventLoopTest"), failure.getMessage());
    }
}
