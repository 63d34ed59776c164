package dev.kdedge.node.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RoundRobinQueueTest {
    /** A task that knows its client, as the pipeline's calls do. */
    private record Task(String client, int n) implements Runnable {
        @Override
        public void run() {}
    }

    private static RoundRobinQueue queue(int capacity) {
        return new RoundRobinQueue(capacity, task -> ((Task) task).client());
    }

    private static List<String> drained(RoundRobinQueue queue) {
        List<Runnable> tasks = new ArrayList<>();
        queue.drainTo(tasks);
        return tasks.stream().map(t -> ((Task) t).client() + ((Task) t).n()).toList();
    }

    @Test
    void clientsTakeTurnsAndEachKeepsItsOrder() {
        RoundRobinQueue queue = queue(16);
        for (int i = 1; i <= 4; i++) {
            queue.offer(new Task("flood", i));
        }
        queue.offer(new Task("polite", 1));
        queue.offer(new Task("camera", 1));
        queue.offer(new Task("polite", 2));
        assertEquals(List.of("flood1", "polite1", "camera1", "flood2", "polite2", "flood3", "flood4"), drained(queue));
    }

    @Test
    void boundedAndRemovable() throws Exception {
        RoundRobinQueue queue = queue(3);
        Task a = new Task("a", 1);
        assertTrue(queue.offer(a));
        assertTrue(queue.offer(new Task("a", 2)));
        assertTrue(queue.offer(new Task("b", 1)));
        assertFalse(queue.offer(new Task("c", 1)), "full");
        assertEquals(0, queue.remainingCapacity());
        assertTrue(queue.remove(a));
        assertFalse(queue.remove(a));
        assertEquals(2, queue.size());
        assertTrue(queue.offer(new Task("c", 1)));
        assertEquals(List.of("a2", "b1", "c1"), drained(queue));
        assertNull(queue.poll(10, TimeUnit.MILLISECONDS));
    }

    @Test
    void aWaitingWorkerGetsTheNextTask() throws Exception {
        RoundRobinQueue queue = queue(2);
        Thread offer = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            queue.offer(new Task("a", 1));
        });
        offer.start();
        assertEquals(new Task("a", 1), queue.take());
        offer.join();
    }
}
