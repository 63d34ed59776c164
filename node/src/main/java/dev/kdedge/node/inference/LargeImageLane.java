package dev.kdedge.node.inference;

import dev.kdedge.node.inspection.RejectedRequestException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Decodes encoded images that declare more than a pixel budget on threads of their own. Decode time grows with the
 * pixels an image declares, not with its bytes (a 3 KB progressive JPEG declaring 4096 x 4096 takes seconds), so a
 * few such images on the scoring workers would hold every worker while ordinary frames wait; here they wait for each
 * other instead, at most {@code maxQueued} of them, and the worker that found one is free at once.
 */
public final class LargeImageLane implements AutoCloseable, MeterBinder {
    private final long pixelBudget;
    private final ThreadPoolExecutor threads;

    /**
     * @param pixelBudget images declaring more pixels than this are decoded here
     * @param threads threads decoding them
     * @param maxQueued large images waiting for a thread; beyond this they are refused RESOURCE_EXHAUSTED
     */
    public LargeImageLane(long pixelBudget, int threads, int maxQueued) {
        this.pixelBudget = pixelBudget;
        AtomicInteger ids = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(maxQueued), r -> {
                    Thread t = new Thread(r, "kdedge-large-decode-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Whether an image declaring {@code pixels} is decoded in this lane. */
    public boolean takes(long pixels) {
        return pixels > pixelBudget;
    }

    /**
     * Runs {@code decode} in the lane, signalling {@code capacity} when it ends; refused RESOURCE_EXHAUSTED when the
     * lane's queue is full, with {@code room} to wait on.
     */
    <T> CompletableFuture<T> decode(Supplier<T> decode, CapacitySignal capacity, CompletionStage<Void> room) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return decode.get();
                } finally {
                    capacity.changed();
                }
            }, threads);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new RejectedRequestException("too many large images (over "
                    + pixelBudget + " pixels) are waiting to be decoded; retry later", room));
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        new ExecutorServiceMetrics(threads, "large_image_decode", List.of()).bindTo(registry);
    }

    @Override
    public void close() throws InterruptedException {
        threads.shutdown();
        threads.awaitTermination(30, TimeUnit.SECONDS);
    }
}
