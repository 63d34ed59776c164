package dev.kdedge.node.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The job thread and the threads it starts run at nice 19, while the rest of the node stays at its own. */
class BackgroundPriorityTest {
    @Test
    void theJobThreadAndItsChildrenRunAtTheLowestPriority() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self")), "Linux only");
        int before = ThreadNice.ofCurrentThread();
        CompletableFuture<int[]> nice = new CompletableFuture<>();
        Thread job = new Thread(() -> {
            try {
                assertTrue(BackgroundPriority.applyToCurrentThread());
                int own = ThreadNice.ofCurrentThread();
                CompletableFuture<Integer> child = new CompletableFuture<>();
                Thread pool = new Thread(() -> {
                    try {
                        child.complete(ThreadNice.ofCurrentThread());
                    } catch (Exception e) {
                        child.completeExceptionally(e);
                    }
                });
                pool.start();
                nice.complete(new int[] {own, child.get()});
            } catch (Throwable e) {
                nice.completeExceptionally(e);
            }
        });
        job.start();
        int[] values = nice.get();
        assertEquals(BackgroundPriority.NICE, values[0]);
        assertEquals(BackgroundPriority.NICE, values[1], "threads started by the job inherit its priority");
        assertEquals(before, ThreadNice.ofCurrentThread(), "the rest of the process is untouched");
    }
}
