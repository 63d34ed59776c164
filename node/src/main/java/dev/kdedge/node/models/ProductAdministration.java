package dev.kdedge.node.models;

import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.inspection.EncodedFormat;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.RawImages;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.jobs.BackgroundPriority;
import dev.kdedge.node.jobs.FineTuneSettings;
import dev.kdedge.node.jobs.UploadedNormals;
import dev.kdedge.node.results.LineNormals;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engineer's RPCs do to the store, as blocking calls for a worker thread: describe products, keep uploaded
 * images, promote and roll back (loading the version before it becomes active, so the line sees no slow request),
 * set the threshold policy, move the served threshold. Each change is refused unless the audit trail can be written, and
 * recorded there once made. Jobs are {@link dev.kdedge.node.jobs.FineTuneJobs}.
 */
public final class ProductAdministration {
    private static final Logger LOG = LoggerFactory.getLogger(ProductAdministration.class);

    private final ModelStore store;
    private final ServingState serving;
    private final EngineCache engines;
    private final ImageDecoder decoder;
    private final AuditTrail audit;
    private final LineNormals lineNormals;
    private final ProductFitter fitter;
    /**
     * Fits new don't-care regions at the lowest CPU priority, as a fine-tune runs (at the caller's, a remask took 40%
     * of a camera's throughput while it ran). The thread ends when idle.
     */
    private final ExecutorService remasks = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), BackgroundPriority.threadsNamed("kdedge-dont-care", "new don't-care regions"));
    /**
     * Held from a remask's submission until it has ended: one asked for meanwhile is refused, so a caller that gave up
     * waiting and asks again holds no second administration thread.
     */
    private final Semaphore remaking = new Semaphore(1);
    private volatile boolean closing;
    /** Abandons a remask at its next step once the node closes. */
    private final FitProgress stopsWhenClosing = new FitProgress() {
        @Override
        public void imageLoaded(int done, int total) {
            stopIfClosing();
        }

        @Override
        public void stage(String description) {
            stopIfClosing();
        }

        private void stopIfClosing() {
            if (closing) {
                throw new IllegalStateException("the node shut down while a new don't-care region was being made; "
                        + "nothing was written");
            }
        }
    };

    /**
     * Kept images of the line's OK results offered as normals of {@code product}, and what became of them.
     *
     * @param normals and {@code defects}: the images the product has collected now
     */
    public record NormalsKept(String product, int stored, int duplicates, List<Refusal> refused, int normals,
            int defects) {}

    /** A result whose image was not taken as a normal: what kind of refusal, and why. */
    public record Refusal(long resultId, Rejection rejection, String reason) {}

    /** The outcome of one uploaded image: stored, already there, or refused with the reason. */
    public record Upload(Outcome outcome, String reason) {
        public enum Outcome { STORED, DUPLICATE, REFUSED }

        static final Upload STORED = new Upload(Outcome.STORED, "");
        static final Upload DUPLICATE = new Upload(Outcome.DUPLICATE, "");

        public static Upload refused(String reason) {
            return new Upload(Outcome.REFUSED, reason);
        }
    }

    /** @param fitter what makes a version with a new don't-care region, as it makes a fine-tune's */
    public ProductAdministration(ModelStore store, EngineCache engines, ServingState serving, long maxImagePixels,
            AuditTrail audit, LineNormals lineNormals, ProductFitter fitter) {
        this.store = store;
        this.fitter = fitter;
        this.lineNormals = lineNormals;
        this.audit = audit;
        this.engines = engines;
        this.serving = serving;
        this.decoder = new ImageDecoder(maxImagePixels);
    }

    public List<ProductOverview> products() throws IOException {
        List<ProductOverview> products = new ArrayList<>();
        for (String product : store.products()) {
            products.add(new ProductOverview(product, store.activeVersion(product).orElse(0),
                    store.versions(product).size()));
        }
        return products;
    }

    /** @throws UnknownProductException when the store has no such product */
    public ProductDetails describe(String product) throws IOException {
        requireProduct(product);
        int active = store.activeVersion(product).orElse(0);
        List<VersionDetails> versions = new ArrayList<>();
        for (int version : store.versions(product)) {
            versions.add(versionDetails(store.bundle(product, version), active == version));
        }
        return new ProductDetails(product, active, store.previousActiveVersions(product),
                store.uploads(product, ModelStore.UploadKind.NORMAL).size(),
                store.uploads(product, ModelStore.UploadKind.DEFECT).size(), store.thresholdPolicy(product),
                serving.product(product).flatMap(ServingState.Product::problem), versions);
    }

    /**
     * @param version 0 for the active one
     * @throws UnknownProductException, UnknownVersionException where the store has no such product or version
     * @throws StoreException where the file is not what the version's manifest recorded
     */
    public DontCareDrawing dontCare(String product, int version) throws IOException {
        requireProduct(product);
        ProductBundle bundle = version == 0 ? store.activeBundle(product) : store.bundle(product, version);
        Optional<Path> file = bundle.dontCareFile();
        if (file.isEmpty()) {
            return new DontCareDrawing(bundle.version(), new byte[0], "");
        }
        byte[] png = Files.readAllBytes(file.get());
        String recorded = bundle.manifest().dontCare().sha256();
        if (!Digests.sha256(png).equals(recorded)) {
            throw new StoreException(bundle.label() + ": " + file.get() + " is not the don't-care mask its manifest"
                    + " records (SHA-256 " + recorded + "): the store is damaged");
        }
        return new DontCareDrawing(bundle.version(), png, recorded);
    }

    /**
     * Decodes the image to check it, then keeps it durably under the product's uploads, once per content; refused
     * while the audit trail cannot be written. {@link #recordUpload} audits what an upload stored.
     *
     * @param image null when the client sent none
     */
    public Upload upload(String product, ImageInput image, boolean defective) throws IOException {
        audit.requireWritable();
        byte[] content;
        String extension;
        try {
            if (image instanceof ImageInput.Encoded encoded) {
                content = encoded.copy();
                decoder.decode(content);
                extension = EncodedFormat.of(content).map(EncodedFormat::extension).orElse(null);
                if (extension == null) {
                    return Upload.refused("only PNG and JPEG are kept; send other formats as raw pixels");
                }
            } else if (image instanceof ImageInput.Raw raw) {
                Pixels pixels = RawImages.decode(decoder, raw);
                content = HeatmapImages.png(pixels.toImage());
                extension = "png";
            } else {
                return Upload.refused("no image (encoded PNG/JPEG bytes or raw pixels)");
            }
        } catch (InvalidImageException e) {
            return Upload.refused(e.getMessage());
        }
        boolean stored = store.storeUpload(product, defective ? ModelStore.UploadKind.DEFECT
                : ModelStore.UploadKind.NORMAL, content, extension);
        return stored ? Upload.STORED : Upload.DUPLICATE;
    }

    /** Records the images one upload stored as one change. */
    public void recordUpload(String product, int normals, int defects, Actor who) throws IOException {
        audit.record(who, "upload", product, "", normals + " normal and " + defects + " defect images uploaded");
    }

    /**
     * The kept images of OK results become normals of their product for its next fine-tune, each once per content;
     * the change is audited when any is stored.
     *
     * @param product the product every result must be of; "" takes the first result's own
     */
    public NormalsKept keepLineNormals(String product, List<Long> resultIds, Actor who) throws IOException {
        if (!product.isEmpty()) {
            requireProduct(product);
        }
        audit.requireWritable();
        String of = product;
        int stored = 0;
        int duplicates = 0;
        List<Refusal> refused = new ArrayList<>();
        try {
            for (long resultId : resultIds) {
                try {
                    LineNormals.Normal normal = lineNormals.of(resultId).get(1, TimeUnit.MINUTES);
                    if (of.isEmpty()) {
                        of = normal.product();
                    } else if (!normal.product().equals(of)) {
                        throw new IllegalArgumentException("result " + resultId + " is of product "
                                + normal.product());
                    }
                    Upload upload = upload(of, new ImageInput.Encoded(ByteBuffer.wrap(normal.image())), false);
                    switch (upload.outcome()) {
                        case STORED -> stored++;
                        case DUPLICATE -> duplicates++;
                        case REFUSED -> refused.add(new Refusal(resultId, Rejection.INVALID_ARGUMENT,
                                "the kept image is refused as a normal: " + upload.reason()));
                    }
                } catch (ExecutionException | IllegalArgumentException e) {
                    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                    refused.add(new Refusal(resultId, Rejection.of(cause), String.valueOf(cause.getMessage())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading result " + resultId, e);
                } catch (TimeoutException e) {
                    throw new IOException("the journal did not answer for result " + resultId, e);
                }
            }
        } finally {
            // what was stored is recorded, even where a later image failed the call
            if (stored > 0) {
                audit.record(who, "normals", of, "", stored + " kept images of OK results added as normals");
            }
        }
        if (of.isEmpty()) {
            return new NormalsKept(of, 0, 0, refused, 0, 0);
        }
        ProductDetails details = describe(of);
        return new NormalsKept(of, stored, duplicates, refused, details.uploadedNormals(), details.uploadedDefects());
    }

    public ProductDetails promote(String product, int version, Actor who) throws IOException {
        requireProduct(product);
        audit.requireWritable();
        if (version <= 0) {
            throw new IllegalArgumentException(version == 0 ? "version is required"
                    : "version " + Integer.toUnsignedString(version) + " is out of range (1.." + Integer.MAX_VALUE
                            + ")");
        }
        store.bundle(product, version);
        String before = activeNamed(product);
        serve(product, version);
        audit.record(who, "promote", product, before, "version " + version);
        return describe(product);
    }

    public ProductDetails rollback(String product, Actor who) throws IOException {
        requireProduct(product);
        audit.requireWritable();
        List<Integer> previous = store.previousActiveVersions(product);
        if (previous.isEmpty()) {
            throw new StoreException("product " + product + " has no earlier active version to roll back to");
        }
        String before = activeNamed(product);
        engines.warm(product, previous.get(0));
        int version = store.rollback(product);
        engines.activated(product, version);
        audit.record(who, "rollback", product, before, "version " + version);
        return describe(product);
    }

    /** @return the policy as stored, which the next fit or fine-tune of the product applies */
    public ThresholdPolicy setThresholdPolicy(String product, ThresholdPolicy policy, Actor who) throws IOException {
        requireProduct(product);
        audit.requireWritable();
        ThresholdPolicy before = store.thresholdPolicy(product);
        store.setThresholdPolicy(product, policy);
        audit.record(who, "threshold-policy", product, describe(before), describe(policy));
        return policy;
    }

    /**
     * Serves the active version's graph at another threshold, now: a new version (its parent the active one, the same
     * graphs, the threshold {@code threshold} with a fixed policy), built and promoted as any other, so a rollback
     * undoes it.
     *
     * @throws IllegalArgumentException for a threshold a fixed policy refuses
     */
    public ProductDetails moveThreshold(String product, double threshold, Actor who) throws IOException {
        requireProduct(product);
        audit.requireWritable();
        ProductBundle active = store.activeBundle(product);
        Manifest.Threshold current = active.manifest().threshold();
        return serveWithThreshold(active, current.movedTo(threshold, "set to " + threshold + " by " + who.name()
                + " (" + who.door() + ") from version " + active.version() + "'s " + current.calibration().threshold()),
                "threshold", who);
    }

    /**
     * Serves the active version's graph at the threshold its fit set, with the fit's own policy and review band: a
     * new version, as {@link #moveThreshold}.
     */
    public ProductDetails resetThreshold(String product, Actor who) throws IOException {
        requireProduct(product);
        audit.requireWritable();
        ProductBundle active = store.activeBundle(product);
        ProductBundle fitted = active;
        while (fitted.manifest().threshold().fitted() != null && fitted.manifest().parentVersion() != null) {
            fitted = store.bundle(product, fitted.manifest().parentVersion());
        }
        return serveWithThreshold(active, fitted.manifest().threshold(), "threshold-reset", who);
    }

    /**
     * Serves the active version's student with another don't-care region, now: a new version (the same teacher and
     * student, no training, and the threshold as served; the served graph composed with {@code region} and its INT8
     * variants made again from the product's uploaded normals), built and promoted as any other, so a rollback undoes
     * it. Blocks while the normals are scored and quantized, which runs at the lowest CPU priority so that the line
     * keeps its cores.
     *
     * @throws IllegalArgumentException for a region that is not a PNG or polygons, or one the fit refuses (its aspect
     *     ratio, too much or nothing left out, a method that scores by more than its map), saying why
     * @throws IllegalStateException where the product has fewer than {@link UploadedNormals#MIN} intact uploaded
     *     normals (damaged ones are set aside first, as a fine-tune does), or while another region is being made
     */
    public ProductDetails setDontCareRegion(String product, DontCareRegionInput region, Actor who) throws Exception {
        requireProduct(product);
        audit.requireWritable();
        ProductBundle written = onRemaskThread(() -> remasked(product, region));
        serve(product, written.version());
        audit.record(who, "dont-care", product, regionOf(store.bundle(product, written.manifest().parentVersion())),
                regionOf(written));
        return describe(product);
    }

    /** The remask itself, on the remask thread: the region checked, the uploads read and checked, the version made. */
    private ProductBundle remasked(String product, DontCareRegionInput region) throws Exception {
        ProductBundle active = store.activeBundle(product);
        Path file = region.form() == DontCareRegionInput.Form.NONE ? null
                : Files.write(store.scratchFile(product, region.suffix()), region.bytes());
        try {
            if (file != null) {
                try {
                    DontCareMask.read(file);
                } catch (IOException e) {
                    throw new IllegalArgumentException("the don't-care region: " + e.getMessage(), e);
                }
            }
            return fitter.fit(FitRequest.remask(active, file, UploadedNormals.intact(store, product,
                    "a new don't-care region"), FineTuneSettings.DEFAULT_HOLDOUT, false), stopsWhenClosing);
        } finally {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Runs {@code remask} on the remask thread and waits for it; its failure is thrown as it was raised. The version's
     * engine is not loaded there but at the line's priority, by the engine cache (see {@link BackgroundPriority}).
     *
     * @throws IllegalStateException while another remask runs
     */
    private ProductBundle onRemaskThread(Callable<ProductBundle> remask) throws Exception {
        if (!remaking.tryAcquire()) {
            throw new IllegalStateException("another don't-care region is being made on this node (one at a time, "
                    + "beside the line); ask again once it is served, as the product's versions show");
        }
        Future<ProductBundle> running;
        try {
            running = remasks.submit(() -> {
                try {
                    return remask.call();
                } finally {
                    remaking.release();
                }
            });
        } catch (RejectedExecutionException closed) {
            remaking.release();
            throw new IllegalStateException("the node is shutting down");
        }
        try {
            return running.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * Stops a remask at its next step, nothing written, and waits for it (30 s at most), so that nothing writes into
     * the store once the node has closed.
     */
    public void close() throws InterruptedException {
        closing = true;
        remasks.shutdown();
        if (!remasks.awaitTermination(30, TimeUnit.SECONDS)) {
            LOG.warn("a new don't-care region was still being made 30 s after the node began to close");
        }
    }

    private static String regionOf(ProductBundle bundle) {
        Manifest.DontCare region = bundle.manifest().dontCare();
        return "version " + bundle.version() + ", " + (region == null ? "no don't-care region"
                : String.format("don't-care region %.1f%% of the input", 100 * region.coveredShare()));
    }

    private ProductDetails serveWithThreshold(ProductBundle active, Manifest.Threshold threshold, String action,
            Actor who) throws IOException {
        ProductBundle moved = store.writeVersion(active.product(), (staging, version) -> {
            try (Stream<Path> files = Files.list(active.directory())) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    if (!file.getFileName().toString().equals(Manifest.FILE)) {
                        Files.copy(file, staging.resolve(file.getFileName()));
                    }
                }
            }
            return active.manifest().asVersionWith(version, threshold, Instant.now().toString());
        });
        serve(active.product(), moved.version());
        audit.record(who, action, active.product(), "version " + active.version() + ", threshold "
                + active.manifest().threshold().calibration().threshold(), "version " + moved.version()
                + ", threshold " + threshold.calibration().threshold());
        return describe(active.product());
    }

    /** Makes {@code version} the serving one once its engine is built, so the line sees no slow request. */
    private void serve(String product, int version) throws IOException {
        engines.warm(product, version);
        store.activate(product, version);
        engines.activated(product, version);
    }

    private String activeNamed(String product) throws IOException {
        return store.activeVersion(product).stream().mapToObj(v -> "version " + v).findFirst().orElse("none");
    }

    private static String describe(ThresholdPolicy policy) {
        return policy.policy() + " " + policy.value() + (policy.reviewSyntheticRecall() == null ? ""
                : ", review band from synthetic recall " + policy.reviewSyntheticRecall());
    }

    /** @throws UnknownProductException unless the store has versions of the product */
    public void requireProduct(String product) throws IOException {
        ModelStore.requireValidProductId(product);
        if (store.versions(product).isEmpty()) {
            throw new UnknownProductException("no product '" + product + "' in the store");
        }
    }

    private VersionDetails versionDetails(ProductBundle bundle, boolean active) {
        ExecutionProvider provider = engines.provider();
        List<Precision> precisions = new ArrayList<>();
        for (Precision precision : Precision.values()) {
            if (precision.hasOwnGraph() ? bundle.servedFile(precision, provider.int8Scheme()).isPresent()
                    : provider.cannotRun(precision).isEmpty()) {
                precisions.add(precision);
            }
        }
        return new VersionDetails(bundle.version(), bundle.manifest(), active, precisions,
                bundle.manifest().int8(provider.int8Scheme()));
    }
}
