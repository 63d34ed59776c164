package dev.kdedge.node.inference;

import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.api.v1.StageTimings;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.text.Echo;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.engine.EngineLease;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores requests on a fixed pool of worker threads with a bounded queue: decode, preprocess, inference (teacher and
 * student), anomaly map, verdict, heatmap. When the queue is full a request is refused at once
 * ({@link Rejection#RESOURCE_EXHAUSTED}) instead of waiting without bound. A request whose deadline passes is dropped
 * at the next stage boundary. Knows nothing of Vert.x: callers get a {@link CompletableFuture}.
 */
public final class ScoringPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScoringPipeline.class);

    /** The deadline of a request that has none. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private final EngineCache engines;
    private final ImageDecoder decoder;
    private final ThreadPoolExecutor workers;
    private final LargeImageLane largeImages;
    private final int queueCapacity;

    /**
     * @param workers a pool with a bounded queue ({@link #workerPool}); the pipeline shuts it down on close
     * @param largeImages where images too costly to decode on a worker go; the pipeline closes it
     */
    public ScoringPipeline(EngineCache engines, long maxImagePixels, ThreadPoolExecutor workers,
            LargeImageLane largeImages) {
        this.engines = engines;
        this.decoder = new ImageDecoder(maxImagePixels);
        this.workers = workers;
        this.largeImages = largeImages;
        this.queueCapacity = workers.getQueue().size() + workers.getQueue().remainingCapacity();
    }

    /** The scoring threads: {@code threads} workers, at most {@code maxQueuedRequests} requests waiting for one. */
    public static ThreadPoolExecutor workerPool(int threads, int maxQueuedRequests) {
        AtomicInteger ids = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(maxQueuedRequests), r -> {
                    Thread t = new Thread(r, "kdedge-scoring-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * @param deadlineNanos {@link System#nanoTime()} after which the result is useless, or {@link #NO_DEADLINE}
     */
    public CompletableFuture<ScoreResponse> score(ScoreRequest request, long deadlineNanos) {
        try {
            validate(request);
            return CompletableFuture.supplyAsync(() -> decodedAndScored(request, deadlineNanos), workers)
                    .thenCompose(scored -> scored);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(atCapacity());
        } catch (RejectedRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Checks what can be checked without decoding, so bad requests never take a worker. Protobuf's unsigned fields
     * arrive as Java ints: values above 2^31 - 1 read as negative, so each is checked as unsigned and reported as the
     * client sent it.
     */
    private static void validate(ScoreRequest request) {
        if (request.getProduct().isEmpty()) {
            throw invalid("product is required");
        }
        if (!ModelStore.PRODUCT_ID.matcher(request.getProduct()).matches()) {
            throw invalid("invalid product id " + Echo.quoted(request.getProduct()));
        }
        if (request.getModelVersion() < 0) {
            throw invalid("model_version " + Integer.toUnsignedString(request.getModelVersion())
                    + " is out of range (0 for the active version, or 1.." + Integer.MAX_VALUE + ")");
        }
        Image image = request.getImage();
        if (image.getSourceCase() == Image.SourceCase.SOURCE_NOT_SET) {
            throw invalid("image is required (encoded PNG/JPEG bytes or raw pixels)");
        }
        if (image.hasRaw()) {
            try {
                RawImages.check(image.getRaw());
            } catch (InvalidImageException e) {
                throw invalid(e.getMessage());
            }
        }
        HeatmapOptions heatmap = request.getHeatmap();
        if (heatmap.getFormat() == HeatmapOptions.Format.UNRECOGNIZED) {
            throw invalid("unknown heatmap format " + heatmap.getFormatValue());
        }
        if (Integer.compareUnsigned(heatmap.getWidth(), HeatmapRenderer.MAX_SIDE) > 0
                || Integer.compareUnsigned(heatmap.getHeight(), HeatmapRenderer.MAX_SIDE) > 0) {
            throw invalid("heatmap size " + Integer.toUnsignedString(heatmap.getWidth()) + "x"
                    + Integer.toUnsignedString(heatmap.getHeight()) + " exceeds " + HeatmapRenderer.MAX_SIDE
                    + " a side");
        }
    }

    /** An image decoded on a worker, and how long that took. */
    private record Decoded(Pixels pixels, long startNanos, long decodedNanos) {}

    /**
     * On a worker: an ordinary image is decoded and scored right here. One whose header declares more pixels than the
     * large-image lane's budget is decoded there, this worker going back to the queue at once; it is then scored on
     * a worker again.
     */
    private CompletableFuture<ScoreResponse> decodedAndScored(ScoreRequest request, long deadlineNanos) {
        if (request.getImage().hasEncoded() && largeImages.takes(declaredPixels(request.getImage()))) {
            return largeImages.decode(() -> decoded(request, deadlineNanos)).thenComposeAsync(
                    decoded -> scoreWhenLoaded(request, decoded, deadlineNanos), this::onWorker);
        }
        return scoreWhenLoaded(request, decoded(request, deadlineNanos), deadlineNanos);
    }

    private long declaredPixels(Image image) {
        try {
            return decoder.declaredPixels(image.getEncoded().toByteArray());
        } catch (InvalidImageException e) {
            throw invalid(e.getMessage());
        }
    }

    /** Runs a later stage on a worker; a full queue refuses it as it refuses a new request. */
    private void onWorker(Runnable stage) {
        try {
            workers.execute(stage);
        } catch (RejectedExecutionException e) {
            throw atCapacity();
        }
    }

    private Decoded decoded(ScoreRequest request, long deadlineNanos) {
        long start = System.nanoTime();
        checkDeadline(deadlineNanos, "before decoding");
        return new Decoded(decode(request.getImage()), start, System.nanoTime());
    }

    /**
     * Scores on this worker when the product's engine is loaded. Otherwise the request gives its worker back while
     * the engine loads (the first request of a product, or of a version to evaluate), so other products are served
     * meanwhile, and queues for a worker again once it is loaded.
     */
    private CompletableFuture<ScoreResponse> scoreWhenLoaded(ScoreRequest request, Decoded decoded,
            long deadlineNanos) {
        CompletableFuture<Void> loaded;
        try {
            loaded = engines.whenLoaded(request.getProduct(), request.getModelVersion());
        } catch (IOException e) {
            throw unavailable(request.getProduct(), e);
        }
        if (loaded.isDone()) {
            return CompletableFuture.completedFuture(run(request, decoded, deadlineNanos));
        }
        CompletableFuture<ScoreResponse> scored = new CompletableFuture<>();
        // Runs where the load completes (the loader thread): hand the rest to a worker, never score there.
        loaded.whenComplete((engine, loadFailure) -> {
            if (loadFailure != null) {
                scored.completeExceptionally(loadFailure instanceof IOException io
                        ? unavailable(request.getProduct(), io) : loadFailure);
                return;
            }
            try {
                workers.execute(() -> {
                    try {
                        scored.complete(run(request, decoded, deadlineNanos));
                    } catch (RuntimeException e) {
                        scored.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                scored.completeExceptionally(atCapacity());
            }
        });
        return scored;
    }

    private ScoreResponse run(ScoreRequest request, Decoded decodedImage, long deadlineNanos) {
        long start = decodedImage.startNanos();
        Pixels pixels = decodedImage.pixels();
        long decoded = decodedImage.decodedNanos();
        try (EngineLease lease = lease(request.getProduct(), request.getModelVersion())) {
            Scorer scorer = lease.engine().scorer();
            ProductBundle bundle = lease.engine().bundle();
            FloatTensor input = scorer.preprocess(pixels);
            long preprocessed = System.nanoTime();
            checkDeadline(deadlineNanos, "before inference");
            Scorer.Inference inference = scorer.infer(input);
            long inferred = System.nanoTime();
            AnomalyMap map = scorer.anomalyMap(inference, 0);
            long mapped = System.nanoTime();
            ScoreCalibration calibration = bundle.manifest().threshold().calibration();
            ScoreResponse.Builder response = ScoreResponse.newBuilder();
            if (request.getHeatmap().getFormat() != HeatmapOptions.Format.NONE) {
                response.setHeatmap(HeatmapRenderer.render(map, calibration, pixels, request.getHeatmap()));
            }
            long done = System.nanoTime();
            response.setVerdict(Verdict.newBuilder()
                    .setProduct(bundle.product())
                    .setModelVersion(Integer.toString(bundle.version()))
                    .setRawScore(map.score())
                    .setNormalizedScore(calibration.normalizeImage(map.score()))
                    .setIsAnomalous(calibration.isAnomalous(map.score()))
                    .setThreshold(calibration.threshold())
                    .setTimings(StageTimings.newBuilder()
                            .setDecodeMs(ms(start, decoded))
                            .setPreprocessMs(ms(decoded, preprocessed))
                            .setInferenceMs(ms(preprocessed, inferred))
                            .setAnomalyMapMs(ms(inferred, mapped))
                            .setHeatmapMs(ms(mapped, done))
                            .setTotalMs(ms(start, done))));
            return response.build();
        }
    }

    private Pixels decode(Image image) {
        try {
            if (image.hasEncoded()) {
                return decoder.decode(image.getEncoded().toByteArray());
            }
            return RawImages.decode(decoder, image.getRaw());
        } catch (InvalidImageException e) {
            throw invalid(e.getMessage());
        }
    }

    /** @param version 0 for the active version */
    private EngineLease lease(String product, int version) {
        try {
            return engines.lease(product, version);
        } catch (IOException e) {
            throw unavailable(product, e);
        }
    }

    /** Why a product's engine cannot be had: NOT_FOUND for what the store does not have, else UNAVAILABLE. */
    private static RejectedRequestException unavailable(String product, IOException e) {
        if (e instanceof StoreException) {
            return new RejectedRequestException(Rejection.NOT_FOUND, e.getMessage());
        }
        LOG.error("cannot load product {}", product, e);
        return new RejectedRequestException(Rejection.UNAVAILABLE,
                "product " + product + " cannot be loaded: " + e.getMessage(), e);
    }

    private RejectedRequestException atCapacity() {
        return new RejectedRequestException(Rejection.RESOURCE_EXHAUSTED,
                "node is at capacity (" + queueCapacity + " requests queued); retry later");
    }

    private static void checkDeadline(long deadlineNanos, String stage) {
        if (deadlineNanos != NO_DEADLINE && System.nanoTime() - deadlineNanos > 0) {
            throw new RejectedRequestException(Rejection.DEADLINE_EXCEEDED, "deadline passed " + stage);
        }
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
