package dev.kdedge.node.inference;

import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InterleavedPixels;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.engine.EngineLease;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult.RenderedHeatmap;
import dev.kdedge.node.inspection.InspectionResult.StageTimes;
import dev.kdedge.node.inspection.InspectionResult.Verdict;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.RawImages;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scores requests on a fixed pool of worker threads with a bounded queue: decode, inference (the served graph, which
 * takes the decoded frame at its own size and preprocesses it, with frames of other calls where {@link
 * InferenceBatcher} batches them), verdict, heatmap. When the queue is full a request is refused at once
 * ({@link Rejection#RESOURCE_EXHAUSTED}) instead of waiting without bound. A request nobody waits for any more (its
 * client gone, its deadline passed) leaves the queue at once, or stops at the next stage boundary once started.
 * Knows nothing of Vert.x: callers get a {@link CompletableFuture}.
 */
public final class ScoringPipeline implements AutoCloseable, MeterBinder {
    /** Whose turn it is in the workers' queue when a task is not a new call. */
    private static final Object LATER_STAGES = new Object();

    private final EngineCache engines;
    private final InferenceBatcher batcher;
    private final ImageDecoder decoder;
    private final ThreadPoolExecutor workers;
    private final LargeImageLane largeImages;
    private final int queueCapacity;
    private final int maxQueuedPerClient;
    private final boolean keepsEvidence;
    private final CapacitySignal capacity = new CapacitySignal();
    /** Calls of each client (a connection) waiting in the queue; a client's entry goes when it has none. */
    private final ConcurrentHashMap<Object, Integer> queuedByClient = new ConcurrentHashMap<>();

    /**
     * @param workers a pool with a bounded queue ({@link #workerPool}); the pipeline shuts it down on close
     * @param largeImages where images too costly to decode on a worker go; the pipeline closes it
     * @param maxQueuedPerClient the most calls one client may have waiting, so that one client cannot fill the queue
     * @param keepsEvidence whether the node keeps rejected parts' images, so their results carry evidence to keep
     */
    public ScoringPipeline(EngineCache engines, InferenceBatcher batcher, long maxImagePixels,
            ThreadPoolExecutor workers, LargeImageLane largeImages, int maxQueuedPerClient, boolean keepsEvidence) {
        this.engines = engines;
        this.batcher = batcher;
        this.decoder = new ImageDecoder(maxImagePixels);
        this.workers = workers;
        this.largeImages = largeImages;
        this.queueCapacity = workers.getQueue().size() + workers.getQueue().remainingCapacity();
        this.maxQueuedPerClient = maxQueuedPerClient;
        this.keepsEvidence = keepsEvidence;
    }

    /** The workers' and the large-image lane's queues and busy threads ({@code executor_*{name="scoring"}}). */
    @Override
    public void bindTo(MeterRegistry registry) {
        new ExecutorServiceMetrics(workers, "scoring", List.of()).bindTo(registry);
        largeImages.bindTo(registry);
    }

    /**
     * The scoring threads: {@code threads} workers, at most {@code maxQueuedRequests} requests waiting for one, taken
     * from each client in turn (a {@link RoundRobinQueue}; the later stages of calls already started, such as scoring
     * after a large image's decode, take their turn as one more client).
     */
    public static ThreadPoolExecutor workerPool(int threads, int maxQueuedRequests) {
        AtomicInteger ids = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new RoundRobinQueue(maxQueuedRequests, task -> task instanceof Call call ? call.request.client() : LATER_STAGES),
                r -> {
                    Thread t = new Thread(r, "kdedge-scoring-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Whether a worker is free and no call waits for one: work that must not delay the line's (a shadow's) is
     * queued only then.
     */
    public boolean hasRoom() {
        return workers.getQueue().isEmpty() && workers.getActiveCount() < workers.getMaximumPoolSize();
    }

    /**
     * Scores {@code request} once it is {@link InspectionRequest#validate valid}.
     *
     * @param abandoned completes when nobody waits for the result any more (the client cancelled or left, or the
     *     reply was already sent): a call still queued then leaves the queue at once, its slot free for others, and
     *     one already started stops at its next stage
     */
    public CompletableFuture<InspectionResult> score(InspectionRequest request, CompletionStage<?> abandoned) {
        try {
            request.validate();
        } catch (RejectedRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        Call call = new Call(request);
        CompletableFuture<Void> room = capacity.next();
        if (!call.takeClientShare()) {
            return CompletableFuture.failedFuture(new RejectedRequestException("this client already has "
                    + maxQueuedPerClient + " requests waiting (scoring.maxQueuedPerClient); retry later", room));
        }
        if (!enqueue(call)) {
            // refused, not left: its own refusal must not wake the waiters (it would wake itself)
            call.releaseShare();
            return CompletableFuture.failedFuture(atCapacity(room));
        }
        abandoned.thenRun(call::abandon);
        return call.result;
    }

    /**
     * Queues a call for a worker. A full queue first gives up the calls in it that nobody waits for any more (their
     * client gone, their deadline passed), so expired work never keeps a live call out.
     */
    private boolean enqueue(Call call) {
        try {
            workers.execute(call);
            return true;
        } catch (RejectedExecutionException full) {
            for (Runnable queued : workers.getQueue().toArray(new Runnable[0])) {
                if (queued instanceof Call waiting && waiting.unwanted() && workers.remove(waiting)) {
                    waiting.dropped();
                }
            }
            try {
                workers.execute(call);
                return true;
            } catch (RejectedExecutionException stillFull) {
                return false;
            }
        }
    }

    /** A request from the moment it is queued: its first stage, run by a worker, decodes it and scores it. */
    private final class Call implements Runnable {
        final InspectionRequest request;
        final CompletableFuture<InspectionResult> result = new CompletableFuture<>();
        private final AtomicBoolean queued = new AtomicBoolean();
        /** The encoded image, copied out of the message once, on the worker that first needs it. */
        private byte[] encoded;
        private volatile boolean abandoned;

        Call(InspectionRequest request) {
            this.request = request;
        }

        /** Counts this call against its client's share of the queue, unless the share is used up. */
        boolean takeClientShare() {
            boolean[] taken = {false};
            queuedByClient.compute(request.client(), (c, count) -> {
                int n = count == null ? 0 : count;
                taken[0] = n < maxQueuedPerClient;
                return taken[0] ? n + 1 : (count == null ? null : count);
            });
            queued.set(taken[0]);
            return taken[0];
        }

        /** The call has left the queue (run or removed): its client's share is given back and waiters are told. */
        void leftQueue() {
            if (releaseShare()) {
                capacity.changed();
            }
        }

        /** Gives the client's share back, once; whether this call gave it. */
        boolean releaseShare() {
            if (queued.compareAndSet(true, false)) {
                queuedByClient.computeIfPresent(request.client(), (c, count) -> count > 1 ? count - 1 : null);
                return true;
            }
            return false;
        }

        @Override
        public void run() {
            leftQueue();
            try {
                decodedAndScored(this).whenComplete((response, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    } else {
                        result.complete(response);
                    }
                });
            } catch (Throwable e) {
                // As CompletableFuture.supplyAsync does: whatever fails, the caller gets an answer.
                result.completeExceptionally(e);
            }
        }

        /** Nobody waits for the result: out of the queue now if it is still there, else stop at the next stage. */
        void abandon() {
            abandoned = true;
            if (workers.remove(this)) {
                dropped();
            }
        }

        byte[] encoded() {
            if (encoded == null) {
                encoded = ((ImageInput.Encoded) request.image()).copy();
            }
            return encoded;
        }

        /** The encoded bytes are not needed any more: not held while the call waits for its engine. */
        void decoded() {
            encoded = null;
        }

        boolean unwanted() {
            return abandoned || deadlinePassed();
        }

        void dropped() {
            leftQueue();
            result.completeExceptionally(abandoned ? gone() : expired("in the queue"));
        }

        /** Throws when nobody waits for the result any more, so no more work is done for it. */
        void checkWanted(String stage) {
            if (abandoned) {
                throw gone();
            }
            if (deadlinePassed()) {
                throw expired(stage);
            }
        }

        private boolean deadlinePassed() {
            return request.deadlineNanos() != InspectionRequest.NO_DEADLINE
                    && System.nanoTime() - request.deadlineNanos() > 0;
        }
    }

    private static RejectedRequestException gone() {
        return new RejectedRequestException(Rejection.CANCELLED, "the client is no longer waiting");
    }

    private static RejectedRequestException expired(String stage) {
        return new RejectedRequestException(Rejection.DEADLINE_EXCEEDED, "deadline passed " + stage);
    }

    /** An image decoded on a worker, and how long that took. */
    private record Decoded(InterleavedPixels frame, long startNanos, long decodedNanos) {}

    /**
     * On a worker: an ordinary image is decoded and scored right here. One whose header declares more pixels than the
     * large-image lane's budget is decoded there, this worker going back to the queue at once; it is then scored on
     * a worker again.
     */
    private CompletableFuture<InspectionResult> decodedAndScored(Call call) {
        if (call.request.image() instanceof ImageInput.Encoded && largeImages.takes(declaredPixels(call.encoded()))) {
            return largeImages.decode(() -> decoded(call), capacity, capacity.next()).thenComposeAsync(
                    decoded -> scoreWhenLoaded(call, decoded), this::onWorker);
        }
        return scoreWhenLoaded(call, decoded(call));
    }

    private long declaredPixels(byte[] encoded) {
        try {
            return decoder.declaredPixels(encoded);
        } catch (InvalidImageException e) {
            throw invalid(e.getMessage());
        }
    }

    /** Runs a later stage on a worker; a full queue refuses it as it refuses a new request. */
    private void onWorker(Runnable stage) {
        CompletableFuture<Void> room = capacity.next();
        try {
            workers.execute(() -> {
                // it has left the queue: a place is free
                capacity.changed();
                stage.run();
            });
        } catch (RejectedExecutionException e) {
            throw atCapacity(room);
        }
    }

    private Decoded decoded(Call call) {
        long start = System.nanoTime();
        call.checkWanted("before decoding");
        Decoded decoded = new Decoded(decode(call), start, System.nanoTime());
        call.decoded();
        return decoded;
    }

    /**
     * Scores on this worker when the engine is at hand (loaded, and the active version known). Otherwise the request
     * gives its worker back while the store is read or the engine loads (the first request of a product, or of a
     * version to evaluate), so other products are served meanwhile, and queues for a worker again once it has it.
     */
    private CompletableFuture<InspectionResult> scoreWhenLoaded(Call call, Decoded decoded) {
        InspectionRequest request = call.request;
        CompletableFuture<EngineLease> acquired = engines.acquire(request.product(), (int) request.version());
        if (acquired.isDone() && !acquired.isCompletedExceptionally()) {
            try (EngineLease lease = acquired.join()) {
                return CompletableFuture.completedFuture(run(call, decoded, lease));
            }
        }
        CompletableFuture<InspectionResult> scored = new CompletableFuture<>();
        // Runs where the store was read or the engine loaded: hand the rest to a worker, never score there.
        acquired.whenComplete((lease, failure) -> {
            if (failure != null) {
                scored.completeExceptionally(unavailable(request.product(), failure));
                return;
            }
            try {
                onWorker(() -> {
                    try (lease) {
                        scored.complete(run(call, decoded, lease));
                    } catch (RuntimeException e) {
                        scored.completeExceptionally(e);
                    }
                });
            } catch (RejectedRequestException atCapacity) {
                lease.close();
                scored.completeExceptionally(atCapacity);
            }
        });
        return scored;
    }

    private InspectionResult run(Call call, Decoded decodedImage, EngineLease lease) {
        InspectionRequest request = call.request;
        long start = decodedImage.startNanos();
        InterleavedPixels pixels = decodedImage.frame();
        long decoded = decodedImage.decodedNanos();
        Optional<DontCareMask> dontCare = lease.engine().dontCare();
        if (dontCare.isPresent() && !dontCare.get().fits(pixels.width(), pixels.height())) {
            throw invalid(lease.engine().bundle().label() + ": " + dontCare.get().misfit(pixels.width(),
                    pixels.height()));
        }
        try (InferenceBatcher.Frame frame = batcher.frame(lease.engine())) {
            Scorer scorer = lease.engine().scorer();
            ProductBundle bundle = lease.engine().bundle();
            // the served graph preprocesses the frame (a version fitted before it did: the scorer, in Java)
            long preprocessed = System.nanoTime();
            call.checkWanted("before inference");
            InferenceBatcher.Inferred inferred = frame.infer(pixels);
            long inferredAt = System.nanoTime();
            AnomalyMap map = scorer.anomalyMap(inferred.batch(), inferred.index());
            long mapped = System.nanoTime();
            ScoreCalibration calibration = bundle.manifest().threshold().calibration();
            Evaluation evaluation = calibration.isAnomalous(map.score()) ? Evaluation.NOT_OK
                    : calibration.inReviewBand(map.score()) ? Evaluation.NOT_DECIDABLE : Evaluation.OK;
            boolean keepsFrame = keepsEvidence && evaluation != Evaluation.OK;
            // drawn over in Java, and a lent frame held past the call: in an array of its own
            Pixels onHeap = keepsFrame || request.heatmap().format() != HeatmapWish.Format.NONE ? pixels.onHeap()
                    : null;
            Optional<RenderedHeatmap> heatmap = request.heatmap().format() == HeatmapWish.Format.NONE ? Optional.empty()
                    : Optional.of(HeatmapRenderer.render(map, calibration, onHeap, request.heatmap(), dontCare));
            long done = System.nanoTime();
            // after the stage times: what the node keeps of a part it did not accept is not the client's wait
            Optional<InspectionResult.Evidence> evidence = keepsFrame
                    ? Optional.of(HeatmapRenderer.evidence(map, calibration, onHeap, dontCare))
                    : Optional.empty();
            return new InspectionResult(new Verdict(bundle.product(), bundle.version(), map.score(),
                    calibration.normalizeImage(map.score()), evaluation, calibration.threshold(),
                    calibration.reviewFrom(), lease.engine().precision().label(),
                    new StageTimes(ms(start, decoded), ms(decoded, preprocessed), ms(preprocessed, inferredAt),
                            ms(inferredAt, mapped), ms(mapped, done), ms(start, done), inferred.batchSize())),
                    heatmap, evidence, request.part(), 0);
        }
    }

    private InterleavedPixels decode(Call call) {
        try {
            if (call.request.image() instanceof ImageInput.Raw raw) {
                return RawImages.frame(decoder, raw);
            }
            return decoder.decode(call.encoded());
        } catch (InvalidImageException e) {
            throw invalid(e.getMessage());
        }
    }

    /**
     * Why a product's engine cannot be had: NOT_FOUND for what the store does not have, else UNAVAILABLE (the engine
     * cache has logged why, once per try).
     */
    private static RejectedRequestException unavailable(String product, Throwable failure) {
        Throwable e = Rejection.cause(failure);
        if (e instanceof StoreException) {
            return new RejectedRequestException(Rejection.NOT_FOUND, e.getMessage());
        }
        return new RejectedRequestException(Rejection.UNAVAILABLE,
                "product " + product + " cannot be loaded: " + e.getMessage(), e);
    }

    private RejectedRequestException atCapacity(CompletionStage<Void> room) {
        return new RejectedRequestException("node is at capacity (" + queueCapacity + " requests queued); retry later",
                room);
    }

    private static RejectedRequestException invalid(String message) {
        return new RejectedRequestException(Rejection.INVALID_ARGUMENT, message);
    }

    private static double ms(long from, long to) {
        return (to - from) / 1e6;
    }

    @Override
    public void close() throws InterruptedException {
        largeImages.close();
        workers.shutdown();
        workers.awaitTermination(30, TimeUnit.SECONDS);
    }
}
