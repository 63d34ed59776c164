package dev.kdedge.node;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.ProviderUnavailableException;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.api.AccessGate;
import dev.kdedge.node.api.ClientResetLimit;
import dev.kdedge.node.api.ConnectionLog;
import dev.kdedge.node.api.HealthEndpoint;
import dev.kdedge.node.api.ImageSources;
import dev.kdedge.node.api.ResultsEndpoint;
import dev.kdedge.node.api.InspectionEndpoint;
import dev.kdedge.node.api.LineEndpoint;
import dev.kdedge.node.api.MalformedCallGate;
import dev.kdedge.node.api.ModelsEndpoint;
import dev.kdedge.node.api.StoppingGate;
import dev.kdedge.node.api.WholeMessageRequest;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.console.ConsoleServer;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.inference.InferenceBatcher;
import dev.kdedge.node.inference.LargeImageLane;
import dev.kdedge.node.inference.ScoringPipeline;
import dev.kdedge.node.results.EvidenceStore;
import dev.kdedge.node.results.Inspections;
import dev.kdedge.node.results.LineNormals;
import dev.kdedge.node.results.PartFeed;
import dev.kdedge.node.results.PartResults;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ScoreDrift;
import dev.kdedge.node.results.ShadowScoring;
import dev.kdedge.node.results.VersionComparison;
import dev.kdedge.node.jobs.FineTuneJobs;
import dev.kdedge.node.line.Stations;
import dev.kdedge.node.metrics.CallMetrics;
import dev.kdedge.node.metrics.NodeMetrics;
import dev.kdedge.node.models.ProductAdministration;
import dev.kdedge.node.opcua.OpcUaLineServer;
import dev.kdedge.node.security.AccessRules;
import dev.kdedge.node.security.TlsFiles;
import dev.kdedge.node.security.TlsReloader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node: the model store, the engine cache, the scoring pipeline, the results journal, the fine-tune jobs and
 * one HTTP/2 port serving {@code kdedge.v1.Inspection}, {@code kdedge.v1.Results}, {@code kdedge.v1.Models},
 * {@code kdedge.v1.Line}, {@code grpc.health.v1.Health} and server reflection; with {@code opcua.enabled}, the
 * stations over OPC UA on a port of their own; with {@code console.enabled}, the web console on another.
 */
public final class NodeServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeServer.class);
    private static final int HTTP2_WINDOW_BYTES = 4 * 1024 * 1024;
    /** Models calls are a field engineer's, a few at a time; two threads keep a slow upload from stalling a status. */
    private static final int ADMINISTRATION_THREADS = 2;

    private final HttpServer http;
    private final Optional<HttpServer> metricsHttp;
    private final List<TlsReloader> tlsReloaders;
    private final EngineCache engines;
    private final ScoringPipeline pipeline;
    private final Optional<ResultJournal> journal;
    private final Optional<EvidenceStore> evidence;
    private final Optional<PartResults> parts;
    private final Optional<PartFeed> partFeed;
    private final Optional<ScoreDrift> drift;
    private final Optional<ShadowScoring> shadows;
    private final Optional<OpcUaLineServer> opcua;
    private final Optional<ConsoleServer> console;
    private final AuditTrail audit;
    private final ExecutorService loader;
    private final ModelStore store;
    private final FineTuneJobs jobs;
    private final ProductAdministration products;
    private final ExecutorService administration;
    private final Shutdown shutdown;

    /** What a shutdown tells, before the port closes: health, camera streams, and how long calls may take. */
    private record Shutdown(ServingState state, HealthEndpoint health, InspectionEndpoint inspection,
            int graceSeconds) {}

    private NodeServer(HttpServer http, Optional<HttpServer> metricsHttp, List<TlsReloader> tlsReloaders,
            EngineCache engines, ScoringPipeline pipeline, Optional<ResultJournal> journal,
            Optional<EvidenceStore> evidence, Optional<PartResults> parts, Optional<PartFeed> partFeed,
            Optional<ScoreDrift> drift, Optional<ShadowScoring> shadows, Optional<OpcUaLineServer> opcua,
            Optional<ConsoleServer> console, AuditTrail audit, ExecutorService loader,
            ModelStore store, FineTuneJobs jobs, ProductAdministration products, ExecutorService administration,
            Shutdown shutdown) {
        this.shutdown = shutdown;
        this.http = http;
        this.metricsHttp = metricsHttp;
        this.tlsReloaders = tlsReloaders;
        this.engines = engines;
        this.pipeline = pipeline;
        this.journal = journal;
        this.evidence = evidence;
        this.parts = parts;
        this.partFeed = partFeed;
        this.drift = drift;
        this.shadows = shadows;
        this.opcua = opcua;
        this.console = console;
        this.audit = audit;
        this.loader = loader;
        this.store = store;
        this.jobs = jobs;
        this.products = products;
        this.administration = administration;
    }

    /** The directory camera processes share frames in, where configured; one that is not there stops the start. */
    private static Optional<Path> sharedFrameDir(NodeConfig config) throws IOException {
        if (config.server.sharedFrameDir.isEmpty()) {
            return Optional.empty();
        }
        Path dir = Path.of(config.server.sharedFrameDir);
        if (!Files.isDirectory(dir)) {
            throw new IOException("server.sharedFrameDir " + dir + " is not a directory: make it, writable by the"
                    + " cameras' processes and readable by the node (README \"Shared frames\")");
        }
        return Optional.of(dir);
    }

    /**
     * Starts a node on {@code vertx} (made by {@code metrics}, so that Vert.x's own meters go where the node's do);
     * the future completes once every active version's engine is loaded (or has failed to) and the ports are
     * listening.
     */
    public static Future<NodeServer> start(Vertx vertx, NodeConfig config, NodeMetrics metrics) {
        ModelStore store = new ModelStore(Path.of(config.store));
        // Fine-tuning shares the device with scoring: PyTorch gets only the threads configured for it.
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(config.models.trainingThreads));
        InferenceOptions inference = config.inferenceOptions();
        AuditTrail audit = new AuditTrail(store.root().resolve("audit/changes.db"));
        // fine-tunes and new don't-care regions make versions with the threads training may take
        ProductFitter fitter = new ProductFitter(store, InferenceOptions.cpu(config.models.trainingThreads));
        FineTuneJobs jobs;
        Optional<Path> sharedFrameDir;
        try {
            inference.provider().requireAvailable();
            sharedFrameDir = sharedFrameDir(config);
            store.sweepStaging();
            jobs = new FineTuneJobs(store, store.root().resolve("jobs"), fitter, audit);
        } catch (IOException | ProviderUnavailableException e) {
            return Future.failedFuture(e);
        }
        Optional<String> writesRefused = writesRefused(config, store);
        ServingState serving = new ServingState(writesRefused.isEmpty());
        ExecutorService loader = Executors.newFixedThreadPool(1, daemon("kdedge-engine-loader"));
        EngineCache engines = new EngineCache(store, inference,
                config.precision.resolve(), config.cache.maxBytes, loader, serving);
        ScoringPipeline pipeline = new ScoringPipeline(engines, new InferenceBatcher(config.scoring.batching.maxBatch,
                config.scoring.workerThreads / config.scoring.batching.maxBatch, config.scoring.batching.windowMillis,
                TimeUnit.MILLISECONDS), config.scoring.maxImagePixels,
                ScoringPipeline.workerPool(config.scoring.workerThreads, config.scoring.maxQueuedRequests),
                new LargeImageLane(config.scoring.largeImagePixels, config.scoring.largeImageThreads,
                        config.scoring.maxQueuedLargeImages), config.scoring.maxQueuedPerClient,
                config.journal.enabled && config.journal.images.enabled);
        Path journalFile = config.journal.path.isEmpty() ? store.root().resolve("journal/results.db")
                : Path.of(config.journal.path);
        Optional<ResultJournal> journal = config.journal.enabled ? Optional.of(ResultJournal.open(
                new ResultJournal.Settings(journalFile, config.journal.maxResults,
                        Duration.ofDays(config.journal.maxAgeDays),
                        ResultJournal.Sync.valueOf(config.journal.sync.toUpperCase(Locale.ROOT))), serving))
                : Optional.empty();
        if (journal.isEmpty()) {
            serving.cannotRecord("the results journal is off (journal.enabled: false)");
        }
        Optional<EvidenceStore> evidence = journal.isPresent() && config.journal.images.enabled
                ? openEvidence(config, journalFile) : Optional.empty();
        Optional<ScoreDrift> drift = journal.map(j -> new ScoreDrift(j, store, new ScoreDrift.Settings(
                config.drift.window, config.drift.minResults, config.drift.everySeconds)));
        Optional<ShadowScoring> shadows = journal.map(j -> new ShadowScoring(pipeline, store, audit,
                new ShadowScoring.Settings(journalFile.toAbsolutePath().resolveSibling("shadow.db"),
                        config.shadow.maxInFlight, config.shadow.maxBusyShare, config.shadow.maxJudged)));
        Optional<VersionComparison> comparison = journal.flatMap(j -> evidence.map(e -> new VersionComparison(
                pipeline, j, e)));
        Optional<PartResults> parts = journal.map(j -> new PartResults(config.parts.views, config.parts.timeoutMillis,
                j::recordPart));
        ExecutorService administration = new ThreadPoolExecutor(ADMINISTRATION_THREADS, ADMINISTRATION_THREADS, 0,
                TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(config.models.maxQueuedRequests), daemon("kdedge-models"));

        MeterRegistry registry = metrics.registry();
        engines.bindTo(registry);
        pipeline.bindTo(registry);
        jobs.bindTo(registry);
        journal.ifPresent(j -> j.bindTo(registry));
        evidence.ifPresent(e -> e.bindTo(registry));
        drift.ifPresent(d -> d.bindTo(registry));
        shadows.ifPresent(s -> s.bindTo(registry));
        new ExecutorServiceMetrics(administration, "models", List.of()).bindTo(registry);
        CallMetrics calls = new CallMetrics(registry);

        vertx.exceptionHandler(NodeServer::unhandled);
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(config.server.maxMessageBytes));
        Stations stations = new Stations(config.line.stations, config.line.bufferSize, serving);
        Optional<PartFeed> partFeed = journal.filter(j -> !config.line.stations.isEmpty() || config.console.enabled)
                .map(PartFeed::new);
        partFeed.ifPresent(feed -> feed.onPart(stations::recorded));
        ImageSources images = new ImageSources(vertx, sharedFrameDir, config.scoring.maxImagePixels);
        InspectionEndpoint inspection = new InspectionEndpoint(vertx, new Inspections(pipeline, journal, evidence, parts,
                stations, shadows), images, config.scoring.streamWindow, config.server.maxMessageBytes, calls);
        HealthEndpoint health = new HealthEndpoint(vertx, serving, config.server.maxMessageBytes);
        grpc.addService(inspection);
        ProductAdministration products = new ProductAdministration(store, engines, serving,
                config.scoring.maxImagePixels, audit, new LineNormals(journal, evidence), fitter);
        grpc.addService(new ModelsEndpoint(vertx, products, images, jobs, administration,
                config.server.maxMessageBytes, calls));
        journal.ifPresent(j -> grpc.addService(new ResultsEndpoint(vertx, j, evidence, config.server.maxMessageBytes,
                calls)));
        grpc.addService(new LineEndpoint(vertx, stations, evidence, config.server.maxMessageBytes, calls));
        grpc.addService(health);
        grpc.addService(ReflectionService.v1());

        HttpServerOptions options = new HttpServerOptions().setHost(config.server.host).setPort(config.server.port)
                .setIdleTimeout(config.server.idleTimeoutSeconds).setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setHttp2ConnectionWindowSize(config.server.connectionWindowBytes)
                .setInitialSettings(new Http2Settings().setInitialWindowSize(HTTP2_WINDOW_BYTES)
                        .setMaxFrameSize(1 << 20).setMaxConcurrentStreams(config.server.maxConcurrentStreams))
                .setHttp2RstFloodMaxRstFramePerWindow(config.server.maxResetsPerWindow)
                .setHttp2RstFloodWindowDuration(config.server.resetWindowSeconds)
                .setHttp2RstFloodWindowDurationTimeUnit(TimeUnit.SECONDS);
        // Both read and checked before any engine is built: a wrong path is said at once, not after minutes of builds.
        Future<Optional<TlsFiles>> metricsTls = config.metrics.enabled
                ? readTls(vertx, config.metrics.tls, "metrics.tls") : Future.succeededFuture(Optional.empty());
        return readTls(vertx, config.tls, "tls").compose(files -> metricsTls.compose(metricsFiles -> {
            boolean mutual = files.map(TlsFiles::mutual).orElse(false);
            if (writesRefused.isEmpty() && !mutual) {
                LOG.warn("Models writes are enabled without mutual TLS: anyone who can reach port {} can upload, "
                        + "fine-tune, promote and roll back (configure tls.clientCa to require engineer "
                        + "certificates)", config.server.port);
            }
            if (config.metrics.enabled && (config.metrics.tls == null || config.metrics.tls.clientCa == null)
                    && !List.of("127.0.0.1", "::1", "localhost").contains(config.metrics.host)) {
                LOG.warn("metrics are served on {}:{} to anyone who can reach it: they name products, versions and "
                        + "reject rates (configure metrics.tls with a clientCa to require scraper certificates)",
                        config.metrics.host, config.metrics.port);
            }
            files.ifPresent(f -> f.secure(options));
            AccessGate gate = new AccessGate(vertx, grpc,
                    mutual ? Optional.of(AccessRules.of(config.access)) : Optional.empty(), writesRefused, calls);
            ConnectionLog connections = new ConnectionLog(registry);
            ClientResetLimit resetLimit = new ClientResetLimit(new MalformedCallGate(new StoppingGate(vertx, serving,
                    gate, calls), calls), connections, config.server.maxResetsPerWindow,
                    config.server.resetWindowSeconds);
            // Every active version's engine is built before the port opens: no request waits for a build.
            Future<Void> warmed = Future.fromCompletionStage(engines.warmActiveVersions(), vertx.getOrCreateContext());
            return warmed.compose(done -> metrics.serve(vertx, config.metrics, metricsFiles))
                    .compose(metricsHttp -> vertx.createHttpServer(options)
                    .connectionHandler(connection -> {
                        connections.watch(connection);
                        resetLimit.watch(connection);
                    })
                    .requestHandler(WholeMessageRequest.around(resetLimit, config.server.maxMessageBytes)).listen()
                    .onFailure(e -> metricsHttp.ifPresent(HttpServer::close))
                    .compose(http -> startOpcUa(vertx, config, stations, journal).compose(opcua -> startConsole(
                            vertx, config, files, new ConsoleServer.Core(products, jobs, journal, evidence, partFeed,
                                    drift, comparison, shadows, audit, administration, writesRefused)).onFailure(e -> opcua.ifPresent(
                                            NodeServer::closeQuietly)).map(console -> Map.entry(opcua, console)))
                    .onFailure(e -> {
                        http.close();
                        metricsHttp.ifPresent(HttpServer::close);
                    }).map(doors -> {
                        Optional<OpcUaLineServer> opcua = doors.getKey();
                        List<TlsReloader> reloaders = new ArrayList<>();
                        files.ifPresent(f -> reloaders.add(new TlsReloader(vertx, http, config.tls,
                                options.getSslOptions(), f)));
                        metricsHttp.flatMap(m -> metricsFiles.map(f -> new TlsReloader(vertx, m, config.metrics.tls,
                                f.secure(new HttpServerOptions()).getSslOptions(), f))).ifPresent(reloaders::add);
                        serving.started();
                        return new NodeServer(http, metricsHttp, reloaders, engines, pipeline, journal, evidence,
                                parts, partFeed, drift, shadows, opcua, doors.getValue(), audit, loader, store, jobs,
                                products, administration, new Shutdown(serving, health, inspection,
                                        config.server.shutdownGraceSeconds));
                    })));
        })).onFailure(e -> {
            partFeed.ifPresent(PartFeed::close);
            drift.ifPresent(ScoreDrift::close);
            shadows.ifPresent(ShadowScoring::close);
            audit.close();
            jobs.close();
            journal.ifPresent(NodeServer::closeQuietly);
            administration.shutdownNow();
            engines.close();
            loader.shutdownNow();
        });
    }

    /** The OPC UA server for the stations' PLCs, when {@code opcua.enabled}; started off the event loop. */
    private static Future<Optional<OpcUaLineServer>> startOpcUa(Vertx vertx, NodeConfig config, Stations stations,
            Optional<ResultJournal> journal) {
        if (!config.opcua.enabled) {
            return Future.succeededFuture(Optional.empty());
        }
        return vertx.executeBlocking(() -> Optional.of(OpcUaLineServer.start(config.opcua, stations, journal,
                AccessRules.of(config.access))));
    }

    /** The field engineer's web console, when {@code console.enabled}. */
    private static Future<Optional<ConsoleServer>> startConsole(Vertx vertx, NodeConfig config,
            Optional<TlsFiles> tls, ConsoleServer.Core core) {
        if (!config.console.enabled) {
            return Future.succeededFuture(Optional.empty());
        }
        return ConsoleServer.start(vertx, config.console, config.tls, tls, core).map(Optional::of);
    }

    private static void closeQuietly(OpcUaLineServer opcua) {
        try {
            opcua.close();
        } catch (Exception e) {
            LOG.warn("closing the OPC UA server", e);
        }
    }

    /** The images of results, beside the journal; without them (logged) when their directory cannot be made. */
    private static Optional<EvidenceStore> openEvidence(NodeConfig config, Path journalFile) {
        NodeConfig.Images images = config.journal.images;
        try {
            return Optional.of(EvidenceStore.open(new EvidenceStore.Settings(images.dir.isEmpty()
                    ? journalFile.toAbsolutePath().resolveSibling("images") : Path.of(images.dir), images.keepOkOneIn,
                    images.maxBytes, images.minFreeBytes), new ImageDecoder(config.scoring.maxImagePixels)));
        } catch (IOException e) {
            LOG.error("the images of results will not be kept: {}", e.toString());
            return Optional.empty();
        }
    }

    /** The TLS files {@code tls} names, read and checked; empty without a {@code tls} section. */
    private static Future<Optional<TlsFiles>> readTls(Vertx vertx, NodeConfig.Tls tls, String setting) {
        return tls == null ? Future.succeededFuture(Optional.empty()) : TlsFiles.read(vertx, tls, setting)
                .compose(files -> vertx.executeBlocking(() -> files.verified(vertx))).map(Optional::of);
    }

    /** Exceptions no handler caught, on the event loop. */
    private static void unhandled(Throwable e) {
        if (isVertxPausingAnEndedRequest(e)) {
            LOG.debug("vertx-grpc paused an ended request stream", e);
        } else {
            LOG.error("unhandled exception on the event loop", e);
        }
    }

    /**
     * vertx-grpc 5.0.7 pauses or resumes the HTTP/2 stream of a client-streaming call after the client has finished
     * sending when its message queue is over its high-water mark (an UploadNormals stream we pause while each image
     * is stored), and Vert.x refuses that with "Request has already been read". Every message has been queued by
     * then and the call completes normally, so that one is not an error of this node.
     */
    static boolean isVertxPausingAnEndedRequest(Throwable e) {
        return e instanceof IllegalStateException && "Request has already been read".equals(e.getMessage());
    }

    /** Why this node may not change its store, if it may not. */
    private static Optional<String> writesRefused(NodeConfig config, ModelStore store) {
        if (!config.models.enabled) {
            return Optional.of("changing the model store is disabled on this node (models.enabled: false in its "
                    + "configuration)");
        }
        if (!Files.isWritable(store.root())) {
            return Optional.of("this node's model store " + store.root() + " is read-only");
        }
        return Optional.empty();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    public int port() {
        return http.actualPort();
    }

    /** The port serving the web console, if it is enabled. */
    public Optional<Integer> consolePort() {
        return console.map(ConsoleServer::port);
    }

    /** The port serving {@code /metrics}, if metrics are enabled. */
    public Optional<Integer> metricsPort() {
        return metricsHttp.map(HttpServer::actualPort);
    }

    public ModelStore store() {
        return store;
    }

    public EngineCache engines() {
        return engines;
    }

    /**
     * Health turns NOT_SERVING (every Watch hears it, then ends), camera streams answer the frames they read and end
     * UNAVAILABLE, new calls are refused UNAVAILABLE ({@link StoppingGate}), the port sends HTTP/2 GOAWAY, and calls in
     * flight get {@code server.shutdownGraceSeconds} to finish; then queued Models calls finish, a running fine-tune or new
     * don't-care region stops and every engine is freed: nothing writes into the store after it returns.
     */
    @Override
    public void close() throws Exception {
        shutdown.state().stopping();
        shutdown.health().endWatches();
        shutdown.inspection().drainStreams();
        tlsReloaders.forEach(TlsReloader::close);
        if (opcua.isPresent()) {
            opcua.get().close();
        }
        console.ifPresent(ConsoleServer::close);
        http.shutdown(shutdown.graceSeconds(), TimeUnit.SECONDS).await();
        if (metricsHttp.isPresent()) {
            metricsHttp.get().close().await();
        }
        administration.shutdown();
        products.close();
        administration.awaitTermination(30, TimeUnit.SECONDS);
        jobs.close();
        pipeline.close();
        parts.ifPresent(PartResults::close);
        partFeed.ifPresent(PartFeed::close);
        drift.ifPresent(ScoreDrift::close);
        shadows.ifPresent(ShadowScoring::close);
        if (journal.isPresent()) {
            journal.get().close();
        }
        if (evidence.isPresent()) {
            evidence.get().close();
        }
        audit.close();
        engines.close();
        loader.shutdown();
    }

    private static void closeQuietly(ResultJournal journal) {
        try {
            journal.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
