package dev.kdedge.node.inference;

import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.image.InterleavedPixels;
import dev.kdedge.calibration.image.Tiling;
import dev.kdedge.node.engine.ProductEngine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Runs frames of the same engine (product, version and precision) from several calls as one batch. Each engine runs
 * at most {@code parallelRuns} batches at once; frames that reach it meanwhile, from any stream or client, wait in
 * line and go together in batches of at most {@code maxBatch}, first come first served. A batch that could run waits for more frames only
 * while a worker is preparing another frame for the same engine, and never longer than {@code window} after its
 * first frame arrived: a lone frame runs at once, and no frame waits more than the window for company.
 *
 * <p>A frame is counted from {@link #frame} (its engine leased, the frame being prepared) until it joins a batch
 * or gives up; workers block while their batch waits and runs, so batches hold at most as many frames as there are
 * workers: set {@code scoring.workerThreads} to at least {@code maxBatch}.
 *
 * <p>A batch holds frames of one size and channel layout ({@link InterleavedPixels#sameLayout}): a frame joins the
 * first waiting batch of its layout with room, else starts one of its own at the end of the line. A tiled product's
 * batch holds no more tiles than one frame may have ({@link #framesPerBatch}).
 */
public final class InferenceBatcher {
    private final int maxBatch;
    private final int parallelRuns;
    private final long windowNanos;
    /** Per engine, keyed by identity; an engine's lane goes with the engine once it is closed and unreachable. */
    private final Map<Object, Lane> lanes = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * @param maxBatch 1 runs every frame on its own, with no waiting and no lanes
     * @param parallelRuns batches of one engine that may run at once
     */
    public InferenceBatcher(int maxBatch, int parallelRuns, long window, TimeUnit unit) {
        if (maxBatch < 1 || parallelRuns < 1) {
            throw new IllegalArgumentException("maxBatch and parallelRuns must be at least 1");
        }
        this.maxBatch = maxBatch;
        this.parallelRuns = parallelRuns;
        this.windowNanos = unit.toNanos(window);
    }

    /** A frame about to be prepared for {@code engine}; close it when done, whether it reached {@link Frame#infer}. */
    public Frame frame(ProductEngine engine) {
        return frame(engine, engine.scorer()::infer, engine.tiles());
    }

    /**
     * @param engine what frames batch by (compared by identity)
     * @param model runs frames of one layout as one batch through the engine's graph
     * @param networkInputs what one frame runs through the networks: its tiles, or 1 where the product is not tiled
     */
    Frame frame(Object engine, Function<List<InterleavedPixels>, Scorer.Inference> model, int networkInputs) {
        int framesPerBatch = framesPerBatch(networkInputs);
        Lane lane = framesPerBatch == 1 ? null : lanes.computeIfAbsent(engine, e -> new Lane(framesPerBatch));
        if (lane != null) {
            lane.preparing(+1);
        }
        return new Frame(model, lane);
    }

    /**
     * At most {@code maxBatch} frames, and no more tiles than one frame may be cut into ({@link Tiling#MOST_TILES}): a
     * tiled frame is already a batch, and a batch of them must not need more memory than the largest tiled frame.
     */
    private int framesPerBatch(int networkInputs) {
        return Math.max(1, Math.min(maxBatch, Tiling.MOST_TILES / networkInputs));
    }

    /** The outputs of the batch a frame ran in, and the frame's place in it. */
    public record Inferred(Scorer.Inference batch, int index) {
        public int batchSize() {
            return batch.scores().batch();
        }
    }

    public final class Frame implements AutoCloseable {
        private final Function<List<InterleavedPixels>, Scorer.Inference> model;
        private final Lane lane;
        private boolean counted;

        private Frame(Function<List<InterleavedPixels>, Scorer.Inference> model, Lane lane) {
            this.model = model;
            this.lane = lane;
            this.counted = lane != null;
        }

        /** Runs {@code input} in the next batch of its engine and layout; blocks until that batch has run. */
        public Inferred infer(InterleavedPixels input) {
            if (lane == null) {
                return new Inferred(model.apply(List.of(input)), 0);
            }
            if (!counted) {
                throw new IllegalStateException("this frame has already been inferred or closed");
            }
            counted = false;
            return lane.infer(model, input);
        }

        @Override
        public void close() {
            if (counted) {
                counted = false;
                lane.preparing(-1);
            }
        }
    }

    private final class Lane {
        private final int maxFrames;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        /** Batches waiting for the engine, in arrival order; only the first may run. */
        private final ArrayDeque<Batch> waiting = new ArrayDeque<>();
        private int preparing;
        private int running;

        Lane(int maxFrames) {
            this.maxFrames = maxFrames;
        }

        void preparing(int change) {
            lock.lock();
            try {
                preparing += change;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        Inferred infer(Function<List<InterleavedPixels>, Scorer.Inference> model, InterleavedPixels input) {
            Batch batch;
            int index;
            lock.lock();
            try {
                preparing--;
                Batch joined = waiting.stream().filter(b -> b.inputs.size() < maxFrames
                        && b.inputs.get(0).sameLayout(input)).findFirst().orElse(null);
                if (joined != null) {
                    batch = joined;
                } else {
                    batch = new Batch(System.nanoTime() + windowNanos);
                    waiting.addLast(batch);
                }
                index = batch.add(input);
                // one frame fewer in preparation: a leader waiting for company may run now
                changed.signalAll();
                if (index == 0) {
                    awaitTurn(batch);
                    waiting.removeFirst();
                    running++;
                    changed.signalAll();
                } else {
                    awaitRun(batch);
                    return batch.inferred(index);
                }
            } finally {
                lock.unlock();
            }
            lead(model, batch);
            return batch.inferred(0);
        }

        /** The leader of {@code batch} waits until it is first, the engine is free and no company is coming. */
        private void awaitTurn(Batch batch) {
            boolean interrupted = false;
            while (true) {
                long left = batch.deadlineNanos - System.nanoTime();
                boolean companyComing = preparing > 0 && left > 0 && batch.inputs.size() < maxFrames;
                boolean mayRun = waiting.peekFirst() == batch && running < parallelRuns;
                if (mayRun && !companyComing) {
                    break;
                }
                try {
                    if (mayRun) {
                        changed.awaitNanos(left);
                    } else {
                        changed.await();
                    }
                } catch (InterruptedException e) {
                    // The frames of the batch are promised a result: finish, and leave the flag for the caller.
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void awaitRun(Batch batch) {
            boolean interrupted = false;
            while (!batch.done) {
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** Runs the batch outside the lock (other frames queue meanwhile), then wakes its frames and the next. */
        private void lead(Function<List<InterleavedPixels>, Scorer.Inference> model, Batch batch) {
            try {
                batch.result = model.apply(batch.inputs);
            } catch (RuntimeException | Error e) {
                // Every frame of the batch gets the failure, an Error too, rather than a result that is not there.
                batch.failure = e;
            } finally {
                lock.lock();
                try {
                    batch.done = true;
                    running--;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Frames that run together; {@link #done} is written under the lane's lock, the rest before it is set. */
    private static final class Batch {
        final long deadlineNanos;
        final List<InterleavedPixels> inputs = new ArrayList<>();
        Scorer.Inference result;
        Throwable failure;
        boolean done;

        Batch(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        int add(InterleavedPixels input) {
            inputs.add(input);
            return inputs.size() - 1;
        }

        Inferred inferred(int index) {
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return new Inferred(result, index);
        }
    }
}
