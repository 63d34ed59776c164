package dev.kdedge.node.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rule the engine cache relies on: an evicted engine is freed after its last request, once, and never reused. */
class RefCountedTest {
    private static final class Resource extends RefCounted {
        final AtomicInteger closes = new AtomicInteger();

        @Override
        protected void closeResources() {
            closes.incrementAndGet();
        }
    }

    @Test
    void evictionWaitsForTheRequestsStillHoldingIt() {
        Resource engine = new Resource();
        assertTrue(engine.tryRetain()); // request 1
        assertTrue(engine.tryRetain()); // request 2
        engine.close(); // the cache evicts it
        assertEquals(0, engine.closes.get());
        engine.release();
        assertEquals(0, engine.closes.get());
        engine.release();
        assertEquals(1, engine.closes.get());
        assertFalse(engine.tryRetain(), "a closed engine must not be handed to a new request");
    }

    @Test
    void closedExactlyOnceUnderConcurrentRequests() throws Exception {
        for (int round = 0; round < 200; round++) {
            Resource engine = new Resource();
            ExecutorService requests = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < 8; i++) {
                requests.submit(() -> {
                    start.await();
                    if (engine.tryRetain()) {
                        engine.release();
                    }
                    return null;
                });
            }
            start.countDown();
            engine.close();
            requests.shutdown();
            assertTrue(requests.awaitTermination(10, TimeUnit.SECONDS));
            assertEquals(1, engine.closes.get());
        }
    }
}
