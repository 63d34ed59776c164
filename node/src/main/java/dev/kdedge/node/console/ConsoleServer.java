package dev.kdedge.node.console;

import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.config.Role;
import dev.kdedge.node.jobs.FineTuneJobs;
import dev.kdedge.node.models.ProductAdministration;
import dev.kdedge.node.results.EvidenceStore;
import dev.kdedge.node.results.PartFeed;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ScoreDrift;
import dev.kdedge.node.results.ShadowScoring;
import dev.kdedge.node.results.VersionComparison;
import dev.kdedge.node.security.TlsFiles;
import dev.kdedge.node.security.TlsReloader;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CSRFHandler;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.sstore.LocalSessionStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The field engineer's console (node.yaml {@code console}): a page served from the classpath with uPlot from its
 * WebJar, and the JSON API and event stream it reads, on a port of its own over the node's TLS certificate.
 * A person signs in with an account (bcrypt-hashed password) and gets a session cookie (Secure over TLS, HttpOnly,
 * SameSite=Strict); every request that changes something also carries the CSRF token the page read from its cookie,
 * and is refused 403 unless the account is an engineer's, whatever the page showed.
 */
public final class ConsoleServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
    private static final String ACCOUNT = "account";
    private static final String ROLE = "role";
    private static final long MAX_BODY_BYTES = 64 * 1024;
    private static final long MAX_IMAGE_BYTES = 32L * 1024 * 1024;

    /** What the console shows and changes: the core's parts it reaches. */
    public record Core(ProductAdministration products, FineTuneJobs jobs, Optional<ResultJournal> journal,
            Optional<EvidenceStore> evidence, Optional<PartFeed> parts, Optional<ScoreDrift> drift,
            Optional<VersionComparison> comparison, Optional<ShadowScoring> shadows, AuditTrail audit, ExecutorService administration,
            Optional<String> writesRefused) {}

    private final HttpServer http;
    private final LineEvents events;
    private final Optional<TlsReloader> tlsReloader;

    private ConsoleServer(HttpServer http, LineEvents events, Optional<TlsReloader> tlsReloader) {
        this.http = http;
        this.events = events;
        this.tlsReloader = tlsReloader;
    }

    /** Starts the console; {@code tls} empty serves plain HTTP (a node started with server.plaintext). */
    public static Future<ConsoleServer> start(Vertx vertx, NodeConfig.Console config, NodeConfig.Tls tlsSettings,
            Optional<TlsFiles> tls, Core core) {
        ConsoleAccounts accounts = new ConsoleAccounts(config.accounts);
        ConsoleApi api = new ConsoleApi(vertx, core);
        LineEvents events = new LineEvents(vertx, api::resultJson);
        core.parts().ifPresent(feed -> feed.onPart(events::recorded));
        boolean secure = tls.isPresent();
        if (!secure) {
            LOG.warn("the console on port {} is served without TLS (server.plaintext): passwords and session cookies "
                    + "cross the network readable", config.port);
        }

        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            ctx.response().putHeader("x-content-type-options", "nosniff").putHeader("x-frame-options", "DENY")
                    .putHeader("referrer-policy", "no-referrer")
                    .putHeader("content-security-policy", "default-src 'self'; img-src 'self' data:; "
                            + "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
            ctx.next();
        });
        router.route().handler(SessionHandler.create(LocalSessionStore.create(vertx))
                .setSessionTimeout(config.sessionMinutes * 60_000L).setCookieSecureFlag(secure)
                .setCookieHttpOnlyFlag(true).setCookieSameSite(CookieSameSite.STRICT).setNagHttps(false)
                .setSessionCookieName("kdedge-console"));
        // an image file sent from the browser is its request's whole body, read only for a signed-in engineer; every
        // other request is small JSON
        router.post("/api/products/:product/uploads").handler(engineer("upload images", (ctx, who) -> ctx.next()));
        router.post("/api/products/:product/uploads").handler(BodyHandler.create(false)
                .setBodyLimit(MAX_IMAGE_BYTES));
        router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.route().handler(CSRFHandler.create(vertx, randomSecret()).setCookieSecure(secure).setNagHttps(false));

        router.post("/api/session").handler(ctx -> signIn(vertx, accounts, ctx));
        router.delete("/api/session").handler(ctx -> {
            ctx.session().destroy();
            ctx.response().setStatusCode(204).end();
        });
        router.get("/api/session").handler(ctx -> signedIn(ctx).ifPresentOrElse(
                who -> ctx.json(new JsonObject().put("account", who.name())
                        .put("role", ctx.session().<String>get(ROLE)).put("writable", core.writesRefused().isEmpty())
                        .put("writesRefused", core.writesRefused().orElse(null))),
                () -> refuse(ctx, 401, "sign in first")));
        router.route("/api/*").handler(ctx -> signedIn(ctx).ifPresentOrElse(who -> ctx.next(),
                () -> refuse(ctx, 401, "sign in first")));
        router.get("/api/products").handler(api::products);
        router.get("/api/parts").handler(api::parts);
        router.get("/api/events").handler(events::follow);
        router.get("/api/results").handler(api::results);
        router.get("/api/results/:resultId/image").handler(api::image);
        router.get("/api/review").handler(api::reviewQueue);
        router.get("/api/changes").handler(api::changes);
        router.post("/api/results/:resultId/review").handler(engineer("review a part", api::review));
        router.post("/api/products/:product/threshold").handler(engineer("move the threshold", api::moveThreshold));
        router.post("/api/products/:product/threshold/reset").handler(engineer("reset the threshold",
                api::resetThreshold));
        router.post("/api/products/:product/promote").handler(engineer("promote a version", api::promote));
        router.post("/api/products/:product/rollback").handler(engineer("roll back", api::rollback));
        router.get("/api/products/:product/dont-care").handler(api::dontCareRegion);
        router.post("/api/products/:product/dont-care").handler(engineer("change the don't-care region",
                api::setDontCareRegion));
        router.post("/api/products/:product/normals").handler(engineer("keep normals", api::keepNormals));
        router.post("/api/products/:product/uploads").handler(engineer("upload images", api::uploadImage));
        router.post("/api/products/:product/fine-tune").handler(engineer("start a fine-tune", api::startFineTune));
        router.post("/api/products/:product/compare").handler(engineer("compare versions", api::compare));
        router.get("/api/products/:product/reviewed.zip").handler(api::reviewedTestSet);
        router.get("/api/products/:product/shadow").handler(api::shadow);
        router.post("/api/products/:product/shadow").handler(engineer("start a shadow", api::startShadow));
        router.delete("/api/products/:product/shadow").handler(engineer("stop a shadow", api::stopShadow));
        router.get("/api/jobs").handler(api::jobs);
        router.post("/api/jobs/:jobId/cancel").handler(engineer("cancel a fine-tune", api::cancelJob));
        router.route("/api/*").handler(ctx -> refuse(ctx, 404, "no such request: " + ctx.request().method() + " "
                + ctx.request().path()));
        router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
        router.route("/*").handler(StaticHandler.create("console").setIndexPage("index.html")
                .setCachingEnabled(false));
        router.route().failureHandler(ctx -> {
            if (ctx.statusCode() == 403) {
                // Vert.x Web's own refusal: the CSRF handler's
                refuse(ctx, 403, "refused: the request did not carry this page's CSRF token (reload the page)"
                        + (ctx.failure() == null ? "" : ": " + ctx.failure().getMessage()));
            } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
                refuse(ctx, ctx.statusCode(), ctx.failure() == null ? "request refused (HTTP " + ctx.statusCode()
                        + ")" : ctx.failure().getMessage());
            } else if (ctx.failure() != null) {
                ConsoleApi.fail(ctx, ctx.failure());
            } else {
                refuse(ctx, ctx.statusCode(), "request failed (HTTP " + ctx.statusCode() + ")");
            }
        });

        HttpServerOptions options = new HttpServerOptions().setHost(config.host).setPort(config.port)
                .setIdleTimeout(120);
        // the node's certificate, without asking browsers for client certificates: people sign in with accounts
        Optional<TlsFiles> serverOnly = tls.map(files -> new TlsFiles(files.setting(), files.certificate(),
                files.key(), Optional.empty()));
        serverOnly.ifPresent(files -> files.secure(options));
        return vertx.createHttpServer(options).requestHandler(router).listen()
                .onFailure(e -> events.close())
                .map(http -> {
                    LOG.info("web console on port {} ({})", http.actualPort(), secure ? "https" : "http");
                    // the reloader compares what it reads with all of the tls section's files; the client CA it
                    // adds to the options stays unused, as they ask for no client certificate
                    return new ConsoleServer(http, events, tls.map(files -> new TlsReloader(vertx, http,
                            tlsSettings, options.getSslOptions(), files)));
                });
    }

    private static void signIn(Vertx vertx, ConsoleAccounts accounts, RoutingContext ctx) {
        JsonObject body;
        try {
            body = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            body = null;
        }
        if (body == null || !(body.getValue("account") instanceof String name)
                || !(body.getValue("password") instanceof String password)) {
            refuse(ctx, 400, "send {\"account\": ..., \"password\": ...}");
            return;
        }
        vertx.executeBlocking(() -> accounts.signIn(name, password), false).onComplete(done -> {
            if (done.failed()) {
                boolean paused = done.cause() instanceof ConsoleAccounts.SignInRefused refused && refused.paused();
                LOG.warn("console sign-in refused for account {} from {}: {}", name,
                        ctx.request().remoteAddress(), done.cause().getMessage());
                refuse(ctx, paused ? 429 : 401, done.cause().getMessage());
                return;
            }
            ConsoleAccounts.Account account = done.result();
            Session session = ctx.session();
            session.regenerateId();
            session.put(ACCOUNT, account.name());
            session.put(ROLE, account.role().configName());
            LOG.info("console: {} signed in as {} from {}", account.name(), account.role().configName(),
                    ctx.request().remoteAddress());
            ctx.json(new JsonObject().put("account", account.name()).put("role", account.role().configName()));
        });
    }

    private static Optional<Actor> signedIn(RoutingContext ctx) {
        return Optional.ofNullable(ctx.session()).map(s -> s.<String>get(ACCOUNT)).map(Actor::console);
    }

    /** A change only an engineer may make, refused 403 to anyone else. */
    private static Handler<RoutingContext> engineer(String what, BiConsumer<RoutingContext, Actor> change) {
        return ctx -> {
            Optional<Actor> signedIn = signedIn(ctx);
            if (signedIn.isEmpty()) {
                refuse(ctx, 401, "sign in first");
                return;
            }
            Actor who = signedIn.get();
            String role = ctx.session().get(ROLE);
            if (!Role.ENGINEER.configName().equals(role)) {
                refuse(ctx, 403, "to " + what + " needs role engineer; account " + who.name() + " is " + role);
                return;
            }
            change.accept(ctx, who);
        };
    }

    private static void refuse(RoutingContext ctx, int status, String message) {
        if (!ctx.response().ended()) {
            ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", message).encode());
        }
    }

    private static String randomSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return Base64.getEncoder().encodeToString(secret);
    }

    public int port() {
        return http.actualPort();
    }

    @Override
    public void close() {
        tlsReloader.ifPresent(TlsReloader::close);
        events.close();
        http.close().await();
    }
}
