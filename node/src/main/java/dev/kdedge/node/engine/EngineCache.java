package dev.kdedge.node.engine;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.engine.Precision;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import dev.kdedge.calibration.network.QdqScheme;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.calibration.store.UnknownVersionException;
import dev.kdedge.calibration.store.ProductBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded product engines, keyed by product and version, bounded by bytes. Loads run on {@code loadExecutor}, once per
 * key however many requests ask at the same time. The active version of each product is re-read from the store at
 * most once a second, so a version activated on disk is served within a second, by a new engine loaded beside the
 * old one; the old one is closed after its last in-flight request ends.
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

    private final ModelStore store;
    private final InferenceOptions options;
    private final ProductPrecisions precisions;
    private final AsyncLoadingCache<Key, ProductEngine> engines;
    private final com.github.benmanes.caffeine.cache.LoadingCache<String, Integer> activeVersions;
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
        this.activeVersions = Caffeine.newBuilder()
                .expireAfterWrite(Duration.ofSeconds(1))
                .executor(loadExecutor)
                .build(product -> activeVersionOrThrow(product));
    }

    /** Caffeine's hits, misses, loads and evictions of engines, and the bytes the loaded engines weigh. */
    @Override
    public void bindTo(MeterRegistry registry) {
        CaffeineCacheMetrics.monitor(registry, engines, "engines");
        Gauge.builder("kdedge.engines.bytes", engines, cache -> cache.synchronous().policy().eviction()
                        .flatMap(eviction -> eviction.weightedSize().stream().boxed().findFirst()).orElse(0L))
                .description("ONNX bytes of the loaded engines (cache.maxBytes bounds it)").baseUnit("bytes")
                .register(registry);
    }

    /**
     * A lease on the active version of {@code product} ({@code version} 0) or on {@code version}, active or not,
     * loading it if needed; leasing a version that is not active does not retire the active one. Blocks while
     * loading: call from a worker thread, never an event loop, and after {@link #whenLoaded} to wait elsewhere.
     *
     * @throws dev.kdedge.calibration.store.UnknownProductException if the store has no such active product
     * @throws UnknownVersionException if the store has no such version
     * @throws IOException if the bundle cannot be loaded
     */
    public EngineLease lease(String product, int version) throws IOException {
        return lease(key(product, version));
    }

    /**
     * Completes when the engine {@link #lease} would return is loaded, starting the load if needed, or when its load
     * fails; never blocks. A request for a product being loaded for the first time waits on this, not on a worker.
     *
     * @throws IOException as {@link #lease} does for a product or version the store does not have; a load that
     *     fails completes the future with its {@link IOException}
     */
    public CompletableFuture<Void> whenLoaded(String product, int version) throws IOException {
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        engines.get(key(product, version)).whenComplete((engine, failure) -> {
            if (failure == null) {
                loaded.complete(null);
            } else {
                loaded.completeExceptionally(unwrap(failure));
            }
        });
        return loaded;
    }

    /**
     * @throws UnknownVersionException for a version the store does not have, before any load is
     *     attempted (a load that fails is logged by the cache with its stack trace: not for a client's typo)
     */
    private Key key(String product, int version) throws IOException {
        ModelStore.requireValidProductId(product);
        if (version != 0) {
            if (!store.versions(product).contains(version)) {
                throw new UnknownVersionException(product, version);
            }
            return new Key(product, version, precisions.of(product));
        }
        try {
            return new Key(product, activeVersions.get(product), precisions.of(product));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (CompletionException e) {
            throw unwrap(e);
        }
    }

    private EngineLease lease(Key key) throws IOException {
        while (true) {
            ProductEngine engine = loaded(key);
            if (engine.tryRetain()) {
                return new EngineLease(engine);
            }
            // Evicted between lookup and retain: the cache no longer holds it, so the next get loads afresh.
        }
    }

    /**
     * Loads a version before it becomes active, so that promoting it swaps engines without a slower first request.
     * Blocks until loaded: call from a worker thread.
     */
    public void warm(String product, int version) throws IOException {
        loaded(new Key(product, version, precisions.of(product)));
    }

    /**
     * Loads every product's active version, so that no first request waits for its engine (a TensorRT engine's build
     * takes minutes). Never blocks: completes, never exceptionally, once every load has succeeded or failed; a load
     * that fails is logged, and tried again by the product's first request.
     */
    public CompletableFuture<Void> warmActiveVersions() {
        List<String> products;
        try {
            products = store.products();
        } catch (IOException e) {
            LOG.warn("cannot list the store's products to load them ahead of requests: {}", e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> loads = new ArrayList<>();
        for (String product : products) {
            CompletableFuture<Void> loaded;
            try {
                loaded = whenLoaded(product, 0);
            } catch (UnknownProductException e) {
                // A product with nothing active yet (its normals uploaded, no version promoted) has nothing to load.
                continue;
            } catch (IOException e) {
                int version = activeVersionNamed(product);
                LOG.error("cannot serve {}@{}: {}", product, version, e.getMessage());
                reports.cannotServe(product, version, e.getMessage());
                continue;
            }
            // load() logs and reports a failure with the version it tried
            loads.add(loaded.exceptionally(failure -> null));
        }
        return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new));
    }

    /** The engine of {@code key}, loading it if needed; a load that fails (no such version, broken bundle) throws. */
    private ProductEngine loaded(Key key) throws IOException {
        try {
            return engines.get(key).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading " + key.product() + "@" + key.version(), e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    /** The store's ACTIVE of {@code product} now names {@code version}: serve it from the next request on. */
    public void activated(String product, int version) {
        activeVersions.put(product, version);
        retireOtherVersions(new Key(product, version, precisions.of(product)));
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

    /** Engines loaded now (for metrics and tests). */
    public long loadedEngines() {
        return engines.synchronous().estimatedSize();
    }

    /** Runs pending evictions now (tests, metrics). */
    public void cleanUp() {
        engines.synchronous().cleanUp();
    }

    /** Bytes of the engines loaded now, which the cache's bound applies to (for metrics and tests). */
    public long loadedBytes() {
        return engines.synchronous().policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    private boolean isActive(Key key) {
        try {
            return activeVersions.get(key.product()) == key.version();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private int activeVersionOrThrow(String product) {
        try {
            return store.activeBundle(product).version();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where this node's served graphs run. */
    public ExecutionProvider provider() {
        return options.provider();
    }

    /** The version ACTIVE names, read without its bundle (which may be what cannot be read); 0 if none. */
    private int activeVersionNamed(String product) {
        try {
            return store.activeVersion(product).orElse(0);
        } catch (IOException e) {
            return 0;
        }
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
            throw e;
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
        OnnxNetwork served = ServedGraph.load(bundle, precision, options);
        try {
            ProductEngine engine = new ProductEngine(bundle, precision, served);
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
        engines.synchronous().invalidateAll();
        engines.synchronous().cleanUp();
    }
}
