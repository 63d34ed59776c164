package dev.kdedge.node.inference;

import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.RawImage;
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
    private final int queueCapacity;

    /** @param workers a pool with a bounded queue ({@link #workerPool}); the pipeline shuts it down on close */
    public ScoringPipeline(EngineCache engines, long maxImagePixels, ThreadPoolExecutor workers) {
        this.engines = engines;
        this.decoder = new ImageDecoder(maxImagePixels);
        this.workers = workers;
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
            return CompletableFuture.supplyAsync(() -> decoded(request, deadlineNanos), workers)
                    .thenCompose(decoded -> scoreWhenLoaded(request, decoded, deadlineNanos));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(atCapacity());
        } catch (RejectedRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Checks what can be checked without decoding, so bad requests never take a worker. */
    private static void validate(ScoreRequest request) {
        if (request.getProduct().isEmpty()) {
            throw invalid("product is required");
        }
        if (!ModelStore.PRODUCT_ID.matcher(request.getProduct()).matches()) {
            throw invalid("invalid product id '" + request.getProduct() + "'");
        }
        Image image = request.getImage();
        if (image.getSourceCase() == Image.SourceCase.SOURCE_NOT_SET) {
            throw invalid("image is required (encoded PNG/JPEG bytes or raw pixels)");
        }
        if (image.hasRaw() && image.getRaw().getFormat() == RawImage.PixelFormat.PIXEL_FORMAT_UNSPECIFIED) {
            throw invalid("raw image needs a pixel format (GRAY8, RGB8 or BGR8)");
        }
        HeatmapOptions heatmap = request.getHeatmap();
        if (heatmap.getFormat() == HeatmapOptions.Format.UNRECOGNIZED) {
            throw invalid("unknown heatmap format");
        }
        if (heatmap.getWidth() > HeatmapRenderer.MAX_SIDE || heatmap.getHeight() > HeatmapRenderer.MAX_SIDE) {
            throw invalid("heatmap size " + heatmap.getWidth() + "x" + heatmap.getHeight() + " exceeds "
                    + HeatmapRenderer.MAX_SIDE + " a side");
        }
    }

    /** An image decoded on a worker, and how long that took. */
    private record Decoded(Pixels pixels, long startNanos, long decodedNanos) {}

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
            RawImage raw = image.getRaw();
            return decoder.fromRaw(ImageDecoder.RawFormat.valueOf(raw.getFormat().name()), raw.getWidth(),
                    raw.getHeight(), raw.getStride(), raw.getPixels().toByteArray());
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
        workers.shutdown();
        workers.awaitTermination(30, TimeUnit.SECONDS);
    }
}
