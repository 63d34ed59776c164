package dev.kdedge.node.console;

import dev.kdedge.calibration.text.Echo;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.audit.Review;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.jobs.FineTuneJobs;
import dev.kdedge.node.jobs.FineTuneSettings;
import dev.kdedge.node.models.DontCareRegionInput;
import dev.kdedge.node.models.ProductAdministration;
import dev.kdedge.node.models.ProductDetails;
import dev.kdedge.node.models.ProductOverview;
import dev.kdedge.node.results.EvidenceStore;
import dev.kdedge.node.results.ResultFilter;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ResultRecord;
import dev.kdedge.node.results.ReviewedTestSet;
import dev.kdedge.node.results.ScoreDrift;
import dev.kdedge.node.results.ShadowScoring;
import dev.kdedge.node.results.VersionComparison;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the console's page asks of the core, as JSON over HTTP: products, the line's parts, a product's recent scores,
 * kept images, the review queue and the audit trail to read; reviews, threshold moves, promote and rollback to
 * change. Blocking work runs on the node's administration threads, journal reads on the journal's; failures are
 * answered with the HTTP status that fits and a message saying what was wrong.
 */
final class ConsoleApi {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleApi.class);
    static final int MAX_RESULTS = 2000;
    private static final int MAX_NORMALS_AT_ONCE = 500;
    private static final int MAX_COMPARED = 200;
    private static final int MAX_LINE_MINUTES = 24 * 60;

    private final Vertx vertx;
    private final ProductAdministration products;
    private final FineTuneJobs jobs;
    private final Optional<ResultJournal> journal;
    private final Optional<EvidenceStore> evidence;
    private final Optional<ScoreDrift> drift;
    private final Optional<VersionComparison> comparison;
    private final Optional<ShadowScoring> shadows;
    private final AuditTrail audit;
    private final ExecutorService administration;
    private final Optional<String> writesRefused;

    ConsoleApi(Vertx vertx, ConsoleServer.Core core) {
        this.vertx = vertx;
        this.products = core.products();
        this.jobs = core.jobs();
        this.journal = core.journal();
        this.evidence = core.evidence();
        this.drift = core.drift();
        this.comparison = core.comparison();
        this.shadows = core.shadows();
        this.audit = core.audit();
        this.administration = core.administration();
        this.writesRefused = core.writesRefused();
    }

    JsonObject resultJson(ResultRecord result) {
        return resultJson(result, Optional.empty());
    }

    private JsonObject resultJson(ResultRecord result, Optional<Review> review) {
        return ConsoleJson.result(result, evidence.map(e -> e.holds(result.resultId())).orElse(false), review);
    }

    void products(RoutingContext ctx) {
        answer(ctx, blocking(() -> {
            JsonArray all = new JsonArray();
            for (ProductOverview product : products.products()) {
                all.add(product(products.describe(product.product())));
            }
            return all;
        }));
    }

    /** The line's latest parts, newest first: {@code minutes} back, at most {@code limit}. */
    void parts(RoutingContext ctx) {
        int limit = intParam(ctx, "limit", 200, 1, MAX_RESULTS);
        int minutes = intParam(ctx, "minutes", 10, 1, MAX_LINE_MINUTES);
        answer(ctx, journal().thenCompose(j -> j.page(false, Long.MAX_VALUE,
                new ResultFilter("", "", null, true), Instant.now().minus(Duration.ofMinutes(minutes)), null, limit))
                .thenApply(results -> new JsonArray(results.stream().map(this::resultJson).toList())));
    }

    /**
     * A product's latest scored images, newest first, each with its review where a person gave one: what the
     * histogram and the threshold slider show. Parts decided from their views are left out (their views are in).
     */
    void results(RoutingContext ctx) {
        String product = requiredParam(ctx, "product");
        int limit = intParam(ctx, "limit", 500, 1, MAX_RESULTS);
        answer(ctx, journal().thenCompose(j -> j.page(false, Long.MAX_VALUE,
                new ResultFilter(product, "", null, false), null, null, limit))
                .thenCompose(results -> blocking(() -> reviewsOf(product)).thenApply(reviews -> new JsonArray(
                        results.stream().filter(r -> r.viewResultIds().isEmpty())
                                .map(r -> resultJson(r, Optional.ofNullable(reviews.get(r.resultId())))).toList()))));
    }

    /** The results no one has decided yet: NOT_DECIDABLE, not reviewed, newest first. */
    void reviewQueue(RoutingContext ctx) {
        String product = Optional.ofNullable(ctx.request().getParam("product")).orElse("");
        int limit = intParam(ctx, "limit", 200, 1, MAX_RESULTS);
        answer(ctx, journal().thenCompose(j -> j.page(false, Long.MAX_VALUE,
                new ResultFilter(product, "", Evaluation.NOT_DECIDABLE, false), null, null, limit))
                .thenCompose(results -> blocking(() -> reviewsOf(product)).thenApply(reviews -> new JsonArray(
                        results.stream().filter(r -> !reviews.containsKey(r.resultId())).map(this::resultJson)
                                .toList()))));
    }

    /**
     * A person decides a result: {@code {"evaluation": "OK" | "NOT_OK", "asNormal": bool}}; with asNormal an OK
     * part's kept image becomes a normal for the product's next fine-tune.
     */
    void review(RoutingContext ctx, Actor who) {
        long resultId = longPathParam(ctx, "resultId");
        JsonObject body = jsonBody(ctx);
        Evaluation evaluation = switch (String.valueOf(body.getValue("evaluation"))) {
            case "OK" -> Evaluation.OK;
            case "NOT_OK" -> Evaluation.NOT_OK;
            default -> throw new IllegalArgumentException("evaluation must be OK or NOT_OK, not "
                    + Echo.quoted(String.valueOf(body.getValue("evaluation"))));
        };
        boolean asNormal = Boolean.TRUE.equals(body.getValue("asNormal"));
        if (asNormal && evaluation != Evaluation.OK) {
            throw new IllegalArgumentException("only a part reviewed OK can be a normal");
        }
        if (asNormal && writesRefused.isPresent()) {
            throw new IllegalStateException(writesRefused.get());
        }
        answer(ctx, journal().thenCompose(j -> j.byId(resultId)).thenCompose(found -> {
            ResultRecord result = found.orElseThrow(() -> new NoSuchElementException("no result " + resultId
                    + " in the journal"));
            CompletableFuture<Optional<EvidenceStore.Kept>> image = asNormal ? kept(resultId)
                    : CompletableFuture.completedFuture(Optional.empty());
            return image.thenCompose(kept -> blocking(() -> {
                if (asNormal) {
                    products.upload(result.product(), new ImageInput.Encoded(ByteBuffer.wrap(kept.orElseThrow(
                            () -> new NoSuchElementException("the image of result " + resultId + " is not kept"))
                            .image())), false);
                }
                return ConsoleJson.review(audit.review(resultId, result.product(), result.version(),
                        result.rawScore(), evaluation, who)).put("keptAsNormal", asNormal);
            }));
        }));
    }

    /**
     * The product's reviewed parts as a labeled test set for {@code kdedge-calibrate evaluate}: a ZIP
     * ({@link ReviewedTestSet}), written to a temporary file on the administration threads and sent from there.
     */
    void reviewedTestSet(RoutingContext ctx) {
        String product = ctx.pathParam("product");
        EvidenceStore images = evidence.orElseThrow(() -> new IllegalStateException(
                "this node keeps no images of results (journal.images.enabled is false)"));
        CompletableFuture<Path> written = blocking(() -> {
            products.requireProduct(product);
            Path zip = Files.createTempFile("kdedge-reviewed-", ".zip");
            try (OutputStream out = Files.newOutputStream(zip)) {
                new ReviewedTestSet(audit, images).write(product, out);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(zip);
                throw e;
            }
            return zip;
        });
        Future.fromCompletionStage(written, vertx.getOrCreateContext()).onComplete(done -> {
            if (done.failed()) {
                fail(ctx, done.cause());
                return;
            }
            Path zip = done.result();
            ctx.response().putHeader("content-type", "application/zip").putHeader("content-disposition",
                    "attachment; filename=\"" + product + "-reviewed.zip\"").sendFile(zip.toString())
                    .onComplete(sent -> vertx.fileSystem().delete(zip.toString()));
        });
    }

    void changes(RoutingContext ctx) {
        String product = Optional.ofNullable(ctx.request().getParam("product")).orElse("");
        int limit = intParam(ctx, "limit", 100, 1, MAX_RESULTS);
        answer(ctx, blocking(() -> new JsonArray(audit.changes(product, limit).stream().map(ConsoleJson::change)
                .toList())));
    }

    /** The kept image of a result; with {@code overlay=true} its heatmap overlay where one was kept. */
    void image(RoutingContext ctx) {
        long resultId = longPathParam(ctx, "resultId");
        boolean overlay = "true".equals(ctx.request().getParam("overlay"));
        kept(resultId).whenComplete((found, failure) -> vertx.runOnContext(v -> {
            if (failure != null) {
                fail(ctx, failure);
                return;
            }
            if (found.isEmpty()) {
                fail(ctx, new NoSuchElementException("the image of result " + resultId + " is not kept"));
                return;
            }
            EvidenceStore.Kept kept = found.get();
            boolean heatmap = overlay && kept.heatmapOverlay().length > 0;
            ctx.response().putHeader("content-type", heatmap ? "image/png" : "image/" + kept.format().extension()
                            .replace("jpg", "jpeg")).putHeader("cache-control", "private, max-age=3600")
                    .end(Buffer.buffer(heatmap ? kept.heatmapOverlay() : kept.image()));
        }));
    }

    void moveThreshold(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        Object value = jsonBody(ctx).getValue("threshold");
        if (!(value instanceof Number threshold)) {
            throw new IllegalArgumentException("threshold must be a number, not " + Echo.quoted(String.valueOf(value)));
        }
        answer(ctx, storeChange(() -> product(products.moveThreshold(product, threshold.doubleValue(), who))));
    }

    void resetThreshold(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        answer(ctx, storeChange(() -> product(products.resetThreshold(product, who))));
    }

    void promote(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        Object value = jsonBody(ctx).getValue("version");
        if (!(value instanceof Integer version)) {
            throw new IllegalArgumentException("version must be a whole number, not "
                    + Echo.quoted(String.valueOf(value)));
        }
        answer(ctx, storeChange(() -> product(products.promote(product, version, who))));
    }

    void rollback(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        answer(ctx, storeChange(() -> product(products.rollback(product, who))));
    }

    /** A version's don't-care region as drawn, a PNG (white: does not count); {@code ?version=N}, else the active. */
    void dontCareRegion(RoutingContext ctx) {
        String product = ctx.pathParam("product");
        int version = intParam(ctx, "version", 0, 0, Integer.MAX_VALUE);
        Future.fromCompletionStage(blocking(() -> products.dontCare(product, version)), vertx.getOrCreateContext())
                .onComplete(done -> {
                    if (done.failed()) {
                        fail(ctx, done.cause());
                    } else if (done.result().png().length == 0) {
                        fail(ctx, new NoSuchElementException("version " + done.result().version() + " of "
                                + product + " has no don't-care region"));
                    } else {
                        // a version's region never changes; the active one may
                        ctx.response().putHeader("content-type", "image/png").putHeader("cache-control",
                                version == 0 ? "no-cache" : "private, max-age=3600")
                                .end(Buffer.buffer(done.result().png()));
                    }
                });
    }

    /**
     * A new don't-care region, served at once as a new version of the same student at the same threshold, checked
     * and quantized again on the uploaded normals: {@code {"polygons": {"width": W, "height": H, "polygons":
     * [[[x, y], ...], ...]}}} in the camera frame's pixels, or {@code {"everywhere": true}} for every pixel to count
     * again.
     */
    void setDontCareRegion(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        JsonObject body = jsonBody(ctx);
        boolean everywhere = Boolean.TRUE.equals(body.getValue("everywhere"));
        Object polygons = body.getValue("polygons");
        if (everywhere == (polygons != null) || (polygons != null && !(polygons instanceof JsonObject))) {
            throw new IllegalArgumentException("name one region: {\"polygons\": {\"width\": W, \"height\": H, "
                    + "\"polygons\": [[[x, y], [x, y], [x, y]], ...]}} or {\"everywhere\": true}");
        }
        DontCareRegionInput region = everywhere ? DontCareRegionInput.NONE : new DontCareRegionInput(
                DontCareRegionInput.Form.POLYGONS, ((JsonObject) polygons).toBuffer().getBytes());
        answer(ctx, storeChange(() -> product(products.setDontCareRegion(product, region, who))));
    }

    /**
     * Kept images of OK results become normals of the product for its next fine-tune: {@code {"resultIds": [..]}}.
     * Answers how many were stored, already there, and each refused with why.
     */
    void keepNormals(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        Object ids = jsonBody(ctx).getValue("resultIds");
        if (!(ids instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_NORMALS_AT_ONCE
                || !list.stream().allMatch(id -> id instanceof Number n && n.longValue() > 0)) {
            throw new IllegalArgumentException("resultIds must list 1.." + MAX_NORMALS_AT_ONCE + " result ids");
        }
        List<Long> resultIds = list.stream().map(id -> ((Number) id).longValue()).distinct().toList();
        answer(ctx, storeChange(() -> {
            ProductAdministration.NormalsKept kept = products.keepLineNormals(product, resultIds, who);
            return new JsonObject().put("stored", kept.stored()).put("duplicates", kept.duplicates())
                    .put("refused", new JsonArray(kept.refused().stream().map(r -> new JsonObject()
                            .put("resultId", r.resultId()).put("reason", r.reason())).toList()))
                    .put("normals", kept.normals());
        }));
    }

    /**
     * One image file from the engineer's computer kept as an upload of the product: the request's body is the PNG or
     * JPEG itself, {@code ?defective=true} for a defective part's. Answers whether it was stored or already there.
     */
    void uploadImage(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        boolean defective = "true".equals(ctx.request().getParam("defective"));
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) {
            throw new IllegalArgumentException("the request's body must be the image itself (PNG or JPEG)");
        }
        answer(ctx, storeChange(() -> {
            products.requireProduct(product);
            ProductAdministration.Upload upload = products.upload(product, new ImageInput.Encoded(
                    ByteBuffer.wrap(body.getBytes())), defective);
            if (upload.outcome() == ProductAdministration.Upload.Outcome.REFUSED) {
                throw new IllegalArgumentException("the image is refused: " + upload.reason());
            }
            if (upload.outcome() == ProductAdministration.Upload.Outcome.STORED) {
                products.recordUpload(product, defective ? 0 : 1, defective ? 1 : 0, who);
            }
            ProductDetails details = products.describe(product);
            return new JsonObject().put("outcome", upload.outcome().name())
                    .put("normals", details.uploadedNormals()).put("defects", details.uploadedDefects());
        }));
    }

    /** {@code {"epochs": n, "fromScratch": bool}}: a fine-tune of the product on its uploaded normals. */
    void startFineTune(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        JsonObject body = jsonBody(ctx);
        Object epochs = body.getValue("epochs", 0);
        if (!(epochs instanceof Integer count)) {
            throw new IllegalArgumentException("epochs must be a whole number, not " + Echo.quoted(String.valueOf(epochs)));
        }
        FineTuneSettings settings = FineTuneSettings.requested(product, Boolean.TRUE.equals(body.getValue(
                "fromScratch")), count, 0, 0);
        answer(ctx, storeChange(() -> ConsoleJson.job(jobs.start(settings, who))));
    }

    void jobs(RoutingContext ctx) {
        answer(ctx, blocking(() -> new JsonArray(jobs.list().stream().map(ConsoleJson::job).toList())));
    }

    void cancelJob(RoutingContext ctx, Actor who) {
        String jobId = ctx.pathParam("jobId");
        answer(ctx, storeChange(() -> ConsoleJson.job(jobs.cancel(jobId, who))));
    }

    /**
     * A candidate version against the active one on the kept images of the product's latest {@code last} results:
     * {@code {"version": n, "last": 50}}.
     */
    void compare(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        JsonObject body = jsonBody(ctx);
        int candidate = version(body);
        Object last = body.getValue("last", 50);
        if (!(last instanceof Integer count) || count < 1 || count > MAX_COMPARED) {
            throw new IllegalArgumentException("last must be 1.." + MAX_COMPARED + ", not "
                    + Echo.quoted(String.valueOf(last)));
        }
        VersionComparison versions = comparison.orElseThrow(() -> new IllegalStateException(
                "this node keeps no images of results to compare on (journal.images.enabled is false)"));
        answer(ctx, blocking(() -> {
            ProductDetails details = products.describe(product);
            if (details.versions().stream().noneMatch(v -> v.version() == candidate)) {
                throw new NoSuchElementException("product " + product + " has no version " + candidate);
            }
            return details.activeVersion();
        }).thenCompose(active -> versions.compare(product, active, candidate, count)).thenApply(ConsoleJson::comparison));
    }

    /** The product's running shadow and its agreement so far; {@code {"shadow": null}} when none runs. */
    void shadow(RoutingContext ctx) {
        String product = ctx.pathParam("product");
        answer(ctx, blocking(() -> {
            products.requireProduct(product);
            return shadowJson(shadows().agreement(product));
        }));
    }

    /**
     * {@code {"version": n, "share": 0.25}}: the candidate version scored beside the active one on that share of the
     * line's frames, from now on.
     */
    void startShadow(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        JsonObject body = jsonBody(ctx);
        int candidate = version(body);
        if (!(body.getValue("share") instanceof Number share)) {
            throw new IllegalArgumentException("share must be a number above 0 and at most 1, not "
                    + Echo.quoted(String.valueOf(body.getValue("share"))));
        }
        ShadowScoring running = shadows();
        // not a change to the store (as reviews are not): allowed where models.enabled locks the store
        answer(ctx, blocking(() -> {
            running.start(product, candidate, share.doubleValue(), who);
            return shadowJson(running.agreement(product));
        }));
    }

    void stopShadow(RoutingContext ctx, Actor who) {
        String product = ctx.pathParam("product");
        ShadowScoring running = shadows();
        answer(ctx, blocking(() -> {
            running.stop(product, who);
            return shadowJson(Optional.empty());
        }));
    }

    private JsonObject shadowJson(Optional<ShadowScoring.Agreement> agreement) {
        return ConsoleJson.shadow(agreement, resultId -> evidence.map(e -> e.holds(resultId)).orElse(false));
    }

    private ShadowScoring shadows() {
        return shadows.orElseThrow(() -> new IllegalStateException(
                "this node keeps no journal of results to record a shadow beside (journal.enabled is false)"));
    }

    private JsonObject product(ProductDetails details) {
        return ConsoleJson.product(details, drift.flatMap(d -> d.reading(details.product())));
    }

    private Map<Long, Review> reviewsOf(String product) throws IOException {
        return audit.reviews(product, MAX_RESULTS * 5).stream()
                .collect(Collectors.toMap(Review::resultId, Function.identity()));
    }

    private CompletableFuture<Optional<EvidenceStore.Kept>> kept(long resultId) {
        return evidence.isEmpty() ? CompletableFuture.failedFuture(new IllegalStateException(
                "this node keeps no images of results (journal.images.enabled is false)"))
                : evidence.get().read(resultId);
    }

    private CompletableFuture<ResultJournal> journal() {
        return journal.map(CompletableFuture::completedFuture).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("this node keeps no journal of results (journal.enabled is false)")));
    }

    private <T> CompletableFuture<T> storeChange(Callable<T> change) {
        if (writesRefused.isPresent()) {
            return CompletableFuture.failedFuture(new ForbiddenException(writesRefused.get()));
        }
        return blocking(change);
    }

    private <T> CompletableFuture<T> blocking(Callable<T> work) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return work.call();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, administration);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new RejectedExecutionException(
                    "the node is busy with other changes; try again in a moment"));
        }
    }

    private void answer(RoutingContext ctx, CompletableFuture<?> reply) {
        Future.fromCompletionStage(reply, vertx.getOrCreateContext()).onComplete(done -> {
            if (done.failed()) {
                fail(ctx, done.cause());
            } else if (!ctx.response().ended()) {
                ctx.json(done.result());
            }
        });
    }

    /** A refusal: the person may not do this here, whatever their role. */
    static final class ForbiddenException extends RuntimeException {
        ForbiddenException(String message) {
            super(message);
        }
    }

    static void fail(RoutingContext ctx, Throwable failure) {
        Throwable cause = Rejection.cause(failure);
        int status;
        if (cause instanceof ForbiddenException) {
            status = 403;
        } else if (cause instanceof DecodeException) {
            status = 400;
        } else if (cause instanceof RejectedExecutionException) {
            status = 503;
        } else {
            Rejection rejection = Rejection.of(cause);
            status = switch (rejection) {
                case INVALID_ARGUMENT -> 400;
                case NOT_FOUND -> 404;
                case FAILED_PRECONDITION -> 409;
                case RESOURCE_EXHAUSTED, UNAVAILABLE -> 503;
                case DEADLINE_EXCEEDED -> 504;
                case CANCELLED, INTERNAL -> 500;
            };
            if (rejection == Rejection.INTERNAL && !(cause instanceof RejectedRequestException)) {
                if (cause instanceof IOException) {
                    // a file or database the node could not read or write now (the audit trail): the request may
                    // be sent again
                    status = 503;
                } else {
                    LOG.error("console request {} failed", ctx.request().path(), cause);
                }
            }
        }
        if (!ctx.response().ended()) {
            ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", String.valueOf(cause.getMessage())).encode());
        }
    }

    private static JsonObject jsonBody(RoutingContext ctx) {
        try {
            JsonObject body = ctx.body().asJsonObject();
            if (body == null) {
                throw new IllegalArgumentException("the request needs a JSON object as its body");
            }
            return body;
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("the request's body is not a JSON object: " + e.getMessage());
        }
    }

    /** The body's {@code version}: a version number, 1 or more. */
    private static int version(JsonObject body) {
        if (!(body.getValue("version") instanceof Integer version) || version < 1) {
            throw new IllegalArgumentException("version must be a version number, not "
                    + Echo.quoted(String.valueOf(body.getValue("version"))));
        }
        return version;
    }

    private static String requiredParam(RoutingContext ctx, String name) {
        String value = ctx.request().getParam(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }

    private static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
        String value = ctx.request().getParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + " must be a whole number " + min + ".." + max + ", not "
                + Echo.quoted(value));
    }

    private static long longPathParam(RoutingContext ctx, String name) {
        String value = ctx.pathParam(name);
        try {
            long n = Long.parseLong(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + " must be a result id (a whole number above 0), not "
                + Echo.quoted(value));
    }
}
