package dev.kdedge.node.engine;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.calibration.store.UnknownVersionException;
import dev.kdedge.node.config.ProductPrecisions;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded product engines, keyed by product and version, bounded by bytes. Loads run on {@code loadExecutor}, once per
 * key however many requests ask at the same time; what a request needs from the store (the version {@code ACTIVE}
 * names, whether a version exists) is read on a thread of the cache's own, so that no request blocks a scoring worker
 * or waits behind an engine build. Once a product's active version is known, requests take it from memory: it is read
 * again from {@code ACTIVE} in the background when a second old, so a version activated on disk is served within about
 * a second (one activated through this node at once), by a new engine loaded beside the old one; the old one is closed
 * after its last in-flight request ends. A load that failed is not tried again for {@value #RETRY_LOAD_SECONDS} s:
 * requests meanwhile get its failure at once, and the log one line per try.
 */
public final class EngineCache implements AutoCloseable, MeterBinder {
    /** A product version at the precision the configuration asks for it in. */
    public record Key(String product, int version, Precision precision) {}

    /** Hears whether each product's active version can be served: when a load of it succeeds or fails. */
    public interface ServingReports {
        ServingReports NONE = new ServingReports() {
            @Override
            public void serves(String product, int version) {}

            @Override
            public void cannotServe(String product, int version, String reason) {}
        };

        void serves(String product, int version);

        void cannotServe(String product, int version, String reason);
    }

    private static final Logger LOG = LoggerFactory.getLogger(EngineCache.class);
    private static final int RETRY_LOAD_SECONDS = 5;

    private final ModelStore store;
    private final InferenceOptions options;
    private final ProductPrecisions precisions;
    private final AsyncLoadingCache<Key, ProductEngine> engines;
    /** Product to the version its ACTIVE names, read again in the background once a second old. */
    private final LoadingCache<String, Integer> activeVersions;
    /** Why a version could not be loaded, for a few seconds. */
    private final Cache<Key, IOException> failedLoads;
    private final ExecutorService storeReads;
    private final ServingReports reports;

    public EngineCache(ModelStore store, InferenceOptions options, ProductPrecisions precisions, long maxBytes,
            Executor loadExecutor, ServingReports reports) {
        this.store = store;
        this.reports = reports;
        this.options = options;
        this.precisions = precisions;
        this.engines = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .recordStats()
                .weigher((Key key, ProductEngine engine) -> (int) Math.min(Integer.MAX_VALUE, engine.weight()))
                .executor(loadExecutor)
                .removalListener((Key key, ProductEngine engine, RemovalCause cause) -> {
                    if (engine != null) {
                        engine.close();
                    }
                })
                .buildAsync(this::load);
        this.storeReads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kdedge-store-reads");
            t.setDaemon(true);
            return t;
        });
        // A product removed from the store is forgotten after a minute without requests.
        this.activeVersions = Caffeine.newBuilder().refreshAfterWrite(Duration.ofSeconds(1))
                .expireAfterAccess(Duration.ofMinutes(1)).executor(storeReads).build(this::activeVersion);
        this.failedLoads = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(RETRY_LOAD_SECONDS)).build();
    }

    /** Caffeine's hits, misses, loads and evictions of engines, and the bytes the loaded engines weigh. */
    @Override
    public void bindTo(MeterRegistry registry) {
        CaffeineCacheMetrics.monitor(registry, engines, "engines");
        Gauge.builder("kdedge.engines.bytes", engines, cache -> {
                    // evictions already decided are done first, so that a scrape shows what is held
                    cache.synchronous().cleanUp();
                    return cache.synchronous().policy().eviction()
                            .flatMap(eviction -> eviction.weightedSize().stream().boxed().findFirst()).orElse(0L);
                })
                .description("ONNX bytes of the loaded engines (cache.maxBytes bounds it)").baseUnit("bytes")
                .register(registry);
    }

    /**
     * A lease on the engine of {@code product}'s active version ({@code version} 0) or of {@code version}, active or
     * not, loading it if needed; leasing a version that is not active does not retire the active one. Never blocks:
     * completes at once when the engine is loaded and the active version known, else on the thread that read the
     * store or loaded the engine, where the caller must not do its heavy work. Fails with
     * {@link UnknownProductException} or {@link UnknownVersionException} for what the store does not have (before any
     * load is tried), with another {@link IOException} when the version cannot be loaded.
     */
    public CompletableFuture<EngineLease> acquire(String product, int version) {
        try {
            ModelStore.requireValidProductId(product);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return key(product, version).thenCompose(key -> {
            IOException failed = failedLoads.getIfPresent(key);
            return failed != null ? CompletableFuture.failedFuture(failed) : lease(key);
        });
    }

    private CompletableFuture<Key> key(String product, int version) {
        if (version != 0) {
            Key key = keyOf(product, version);
            if (engines.asMap().containsKey(key)) {
                return CompletableFuture.completedFuture(key);
            }
            return readStore(() -> {
                if (!store.versions(product).contains(version)) {
                    throw new UnknownVersionException(product, version);
                }
                return key;
            });
        }
        Integer active = activeVersions.getIfPresent(product);
        if (active != null) {
            return CompletableFuture.completedFuture(keyOf(product, active));
        }
        return readStore(() -> {
            int read = activeVersion(product);
            // a version activated through this node meanwhile is newer than what was read
            return keyOf(product, activeVersions.asMap().merge(product, read, (activated, older) -> activated));
        });
    }

    private Key keyOf(String product, int version) {
        return new Key(product, version, precisions.of(product));
    }

    /** The version {@code ACTIVE} names. */
    private int activeVersion(String product) throws IOException {
        return store.activeVersion(product).orElseThrow(() -> new UnknownProductException("no product '" + product
                + "' with an active version in the store"));
    }

    @FunctionalInterface
    private interface StoreRead<T> {
        T read() throws IOException;
    }

    private <T> CompletableFuture<T> readStore(StoreRead<T> read) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            storeReads.execute(() -> {
                try {
                    result.complete(read.read());
                } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException closed) {
            result.completeExceptionally(new IOException("the engine cache is closed"));
        }
        return result;
    }

    private CompletableFuture<EngineLease> lease(Key key) {
        return engines.get(key).thenCompose(engine -> engine.tryRetain()
                ? CompletableFuture.completedFuture(new EngineLease(engine))
                // Evicted between lookup and retain: the cache no longer holds it, so the next get loads afresh.
                : lease(key));
    }

    /**
     * Loads a version before it becomes active, so that promoting it swaps engines without a slower first request.
     * Blocks until loaded: for the Models service's threads, never a scoring worker or an event loop.
     */
    public void warm(String product, int version) throws IOException {
        try {
            engines.get(keyOf(product, version)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading " + product + "@" + version, e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    /**
     * Loads every product's active version, so that no first request waits for its engine (a TensorRT engine's build
     * takes minutes). Never blocks: completes, never exceptionally, once every load has succeeded or failed; a load
     * that fails is logged, and tried again by the product's first request.
     */
    public CompletableFuture<Void> warmActiveVersions() {
        return readStore(store::products).handle((products, failure) -> {
            if (failure != null) {
                LOG.warn("cannot list the store's products to load them ahead of requests: {}", failure.getMessage());
                return List.<String>of();
            }
            return products;
        }).thenCompose(products -> CompletableFuture.allOf(products.stream().map(this::warmActive)
                .toArray(CompletableFuture[]::new)));
    }

    private CompletableFuture<Void> warmActive(String product) {
        return key(product, 0).handle((key, failure) -> {
            Throwable cause = failure == null ? null : unwrap(failure);
            if (cause != null && !(cause instanceof UnknownProductException)) {
                // ACTIVE unreadable; a product with nothing active yet (its normals uploaded, nothing promoted) has
                // nothing to load
                LOG.error("cannot serve {}: {}", product, cause.getMessage());
                reports.cannotServe(product, 0, cause.getMessage());
            }
            return key;
        }).thenCompose(key -> key == null ? CompletableFuture.completedFuture(null)
                // load() logs and reports a failure with the version it tried
                : engines.get(key).handle((engine, failure) -> null));
    }

    /** The store's ACTIVE of {@code product} now names {@code version}: serve it from the next request on. */
    public void activated(String product, int version) {
        activeVersions.put(product, version);
        retireOtherVersions(keyOf(product, version));
        reports.serves(product, version);
    }

    /**
     * Once another version of the product is active and loaded, the old one is unreachable: drop the cache's hold
     * now rather than when the byte bound evicts it. Requests still holding it finish on it; it is closed after the
     * last one. Runs once per load or activation, not per request.
     */
    private void retireOtherVersions(Key serving) {
        engines.synchronous().asMap().keySet().removeIf(key -> key.product().equals(serving.product())
                && key.version() != serving.version());
    }

    /** On the loader thread, which may read the store. */
    private boolean isActive(Key key) {
        try {
            return store.activeVersion(key.product()).orElse(0) == key.version();
        } catch (IOException e) {
            return false;
        }
    }

    /** Where this node's served graphs run. */
    public ExecutionProvider provider() {
        return options.provider();
    }

    private ProductEngine load(Key key) throws IOException {
        ProductEngine engine;
        try {
            engine = loadEngine(key);
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot load {}@{}: {}", key.product(), key.version(), e.getMessage());
            if (isActive(key)) {
                reports.cannotServe(key.product(), key.version(), e.getMessage());
            }
            IOException failure = e instanceof IOException io ? io
                    : new IOException(key.product() + "@" + key.version() + " cannot be loaded: " + e.getMessage(), e);
            failedLoads.put(key, failure);
            throw failure;
        }
        // A version warmed before promotion, or scored for evaluation, loads while the active one serves: only the
        // active version retires the others.
        if (isActive(key)) {
            retireOtherVersions(key);
            reports.serves(key.product(), key.version());
        }
        return engine;
    }
    private ProductEngine loadEngine(Key key) throws IOException {
        ProductBundle bundle = store.bundle(key.product(), key.version());
        Precision precision = key.precision();
        QdqScheme int8Scheme = provider().int8Scheme();
        if (precision.hasOwnGraph() && bundle.servedFile(precision, int8Scheme).isEmpty()) {
            // The line keeps running: a version whose INT8 variant was refused at fit time is served as fitted.
            LOG.warn("{}; serving it in fp32", bundle.missing(precision, int8Scheme));
            precision = Precision.FP32;
        }
        ProductEngine engine;
        try {
            engine = engine(bundle, precision);
        } catch (IOException e) {
            if (precision == Precision.FP32) {
                throw e;
            }
            // So does one whose int8 or fp16 engine cannot be built: on a device, TensorRT's build is the first place
            // a graph can be refused.
            LOG.error("{} cannot be served in {} ({}); serving it in fp32", bundle.label(), precision.label(),
                    e.getMessage());
            engine = engine(bundle, Precision.FP32);
        }
        return engine;
    }

    /** The version's engine at {@code precision}, run once: when ONNX Runtime builds or loads a TensorRT engine. */
    private ProductEngine engine(ProductBundle bundle, Precision precision) throws IOException {
        Optional<DontCareMask> dontCare = bundle.dontCare();
        OnnxNetwork served = ServedGraph.loadTakingFrames(bundle, precision, options);
        try {
            ProductEngine engine = new ProductEngine(bundle, precision, served, dontCare);
            engine.warmUp();
            return engine;
        } catch (RuntimeException | Error e) {
            served.close();
            throw new IOException(bundle.label() + " loaded but cannot run: " + e.getMessage(), e);
        }
    }

    private static IOException unwrap(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException
                || cause instanceof UncheckedIOException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    }

    @Override
    public void close() {
        storeReads.shutdown();
        engines.synchronous().invalidateAll();
        engines.synchronous().cleanUp();
    }
}
