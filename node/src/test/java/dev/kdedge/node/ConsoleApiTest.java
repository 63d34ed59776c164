package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.console.ConsoleAccounts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console's API as a browser uses it, over TLS: who may read and who may change (accounts, sessions, CSRF,
 * roles enforced by the node whatever a page shows), the line's parts, the review queue where an engineer decides a
 * part the node sent to a person, threshold moves served at once as new versions (and reset, rolled back), the audit
 * trail of every change from either door, and a clear refusal for every bad request.
 */
class ConsoleApiTest {
    static final String ENGINEER = "erin";
    static final String ENGINEER_PASSWORD = "engineer-pass-1";
    static final String OBSERVER = "olga";
    static final String OBSERVER_PASSWORD = "observer-pass-1";

    @TempDir
    Path dir;

    /** The console on a free port with one engineer's and one observer's account, station press-1 on the demo. */
    static void console(NodeConfig config) {
        config.console.enabled = true;
        config.console.host = "127.0.0.1";
        config.console.port = 0;
        config.console.accounts = Map.of(ENGINEER, account("engineer", ENGINEER_PASSWORD), OBSERVER,
                account("observer", OBSERVER_PASSWORD));
        config.models.enabled = true;
        config.journal.images.keepOkOneIn = 1;
        config.line.stations = Map.of("press-1", DemoFixture.PRODUCT);
    }

    private static NodeConfig.Console.Account account(String role, String password) {
        NodeConfig.Console.Account account = new NodeConfig.Console.Account();
        account.role = role;
        account.passwordHash = ConsoleAccounts.hash(password.toCharArray());
        return account;
    }

    /** The node's TLS: a certificate for localhost from a CA of the test's own. */
    static Path tls(NodeConfig config, Path dir) throws Exception {
        TestPki.Authority ca = new TestPki.Authority("Plant 7 CA");
        TestPki.PemFiles server = ca.server().written(dir, "node");
        config.server.plaintext = false;
        config.tls = new NodeConfig.Tls();
        config.tls.certificate = server.certificate().toString();
        config.tls.key = server.key().toString();
        return ca.writeCertificate(dir.resolve("ca.crt"));
    }

    static Verdict score(RunningNode node, Path image, String partId) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(DemoRequests.scoreRequest(image).toBuilder().setProduct("").setStation("press-1")
                        .setPartId(partId).build()).getVerdict();
    }

    @Test
    void engineersChangeObserversWatchAndEveryChangeIsAudited() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        BandedDemo banded = BandedDemo.publish(store);
        ModelStore modelStore = new ModelStore(store);
        Path ca = dir.resolve("ca.crt");
        try (RunningNode node = new RunningNode(store, config -> {
            console(config);
            try {
                tls(config, dir);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, ca)) {
            int port = node.server.consolePort().orElseThrow();
            ConsoleClient anonymous = new ConsoleClient(port, ca);
            assertEquals(200, anonymous.get("/").status(), "the page itself is public");
            assertEquals("DENY", anonymous.get("/").response().headers().firstValue("x-frame-options").orElse(""));
            assertEquals(401, anonymous.get("/api/products").status(), "nothing is read without signing in");
            assertEquals(401, anonymous.get("/api/events").status());
            assertEquals(401, anonymous.post("/api/products/demo/rollback", new JsonObject()).status(),
                    "no anonymous writes");
            assertEquals(403, anonymous.postWithoutToken("/api/session", new JsonObject().put("account", ENGINEER)
                    .put("password", ENGINEER_PASSWORD)).status(), "a sign-in without the page's CSRF token");
            ConsoleClient.Reply wrong = anonymous.signIn(ENGINEER, "not-the-password");
            assertEquals(401, wrong.status());
            assertEquals("unknown account or wrong password", wrong.error());
            assertEquals("unknown account or wrong password", anonymous.signIn("mallory", "whatever-1").error(),
                    "an unknown account is told the same");

            ConsoleClient engineer = new ConsoleClient(port, ca);
            ConsoleClient.Reply signedIn = engineer.signIn(ENGINEER, ENGINEER_PASSWORD);
            assertEquals(200, signedIn.status(), String.valueOf(signedIn.json()));
            assertEquals("engineer", signedIn.object().getString("role"));
            String cookie = signedIn.response().headers().allValues("set-cookie").stream()
                    .filter(c -> c.startsWith("kdedge-console=")).findFirst().orElseThrow();
            String flags = cookie.toLowerCase(java.util.Locale.ROOT);
            assertTrue(flags.contains("; secure") && flags.contains("; httponly") && flags.contains("samesite=strict"),
                    cookie);
            assertEquals(403, engineer.postWithoutToken("/api/products/demo/rollback", new JsonObject()).status(),
                    "a signed-in change without the page's CSRF token, as another site would send it");

            Verdict ok = score(node, banded.accepted(), "SN-1");
            Verdict toReview = score(node, banded.toReview(), "SN-2");
            Verdict defect = score(node, DemoFixture.sampleDefect(), "SN-3");
            assertEquals(Evaluation.NOT_DECIDABLE, toReview.getEvaluation());
            JsonArray parts = awaitParts(engineer, 3);
            assertEquals(List.of("SN-3", "SN-2", "SN-1"), IntStream.range(0, 3)
                    .mapToObj(i -> parts.getJsonObject(i).getString("partId")).toList(), "newest first");
            assertEquals(List.of("NOT_OK", "NOT_DECIDABLE", "OK"), IntStream.range(0, 3)
                    .mapToObj(i -> parts.getJsonObject(i).getString("evaluation")).toList());
            assertEquals("press-1", parts.getJsonObject(0).getString("station"));

            JsonArray queue = engineer.get("/api/review").array();
            assertEquals(1, queue.size(), queue.encode());
            assertEquals(toReview.getResultId(), queue.getJsonObject(0).getLong("resultId"));
            ResultImagesTest.awaitImage(node, toReview.getResultId());
            assertArrayEquals(Files.readAllBytes(banded.toReview()),
                    engineer.get("/api/results/" + toReview.getResultId() + "/image").response().body(),
                    "the kept image, as the camera sent it");

            ConsoleClient observer = new ConsoleClient(port, ca);
            assertEquals(200, observer.signIn(OBSERVER, OBSERVER_PASSWORD).status());
            assertEquals(1, observer.get("/api/review").array().size(), "an observer sees the queue");
            ConsoleClient.Reply refused = observer.post("/api/results/" + toReview.getResultId() + "/review",
                    new JsonObject().put("evaluation", "OK"));
            assertEquals(403, refused.status());
            assertEquals("to review a part needs role engineer; account olga is observer", refused.error());
            assertEquals(403, observer.post("/api/products/demo/threshold", new JsonObject().put("threshold", 1))
                    .status());
            assertEquals(403, observer.post("/api/products/demo/rollback", new JsonObject()).status());

            ConsoleClient.Reply reviewed = engineer.post("/api/results/" + toReview.getResultId() + "/review",
                    new JsonObject().put("evaluation", "OK").put("asNormal", true));
            assertEquals(200, reviewed.status(), String.valueOf(reviewed.json()));
            assertEquals(ENGINEER, reviewed.object().getString("reviewer"));
            assertEquals(0, engineer.get("/api/review").array().size(), "a decided part leaves the queue");
            assertEquals(1, modelStore.uploads(DemoFixture.PRODUCT, ModelStore.UploadKind.NORMAL).size(),
                    "the part reviewed OK is a normal for the next fine-tune");
            JsonObject labeled = engineer.get("/api/results?product=demo").array().stream()
                    .map(JsonObject.class::cast).filter(r -> r.getLong("resultId") == toReview.getResultId())
                    .findFirst().orElseThrow();
            assertEquals("OK", labeled.getJsonObject("review").getString("evaluation"),
                    "the histogram and the slider see the label");
            assertEquals("NOT_DECIDABLE", labeled.getString("evaluation"), "the node's own decision is kept");

            double fitted = banded.version().manifest().threshold().calibration().threshold();
            double moved = (banded.reviewFrom() + fitted) / 2;
            ConsoleClient.Reply move = engineer.post("/api/products/demo/threshold",
                    new JsonObject().put("threshold", moved));
            assertEquals(200, move.status(), String.valueOf(move.json()));
            ProductBundle active = modelStore.activeBundle(DemoFixture.PRODUCT);
            assertEquals(banded.version().version() + 1, active.version(), "a new version, served at once");
            Manifest.Threshold served = active.manifest().threshold();
            assertEquals(moved, served.calibration().threshold());
            assertEquals(banded.reviewFrom(), served.calibration().reviewFrom(), "the band below it is kept");
            assertEquals(fitted, served.fitted());
            assertEquals(banded.version().version(), active.manifest().parentVersion());
            assertEquals(banded.version().manifest().served().sha256(), active.manifest().served().sha256(),
                    "the same graph");
            assertEquals(moved, score(node, DemoFixture.sampleDefect(), "SN-4").getThreshold(),
                    "the line is judged at the new threshold");

            assertEquals(200, engineer.post("/api/products/demo/threshold/reset", new JsonObject()).status());
            Manifest.Threshold reset = modelStore.activeBundle(DemoFixture.PRODUCT).manifest().threshold();
            assertEquals(banded.version().manifest().threshold(), reset, "the fit's own threshold, policy and band");

            ConsoleClient.Reply rollback = engineer.post("/api/products/demo/rollback", new JsonObject());
            assertEquals(200, rollback.status(), String.valueOf(rollback.json()));
            assertEquals(active.version(), rollback.object().getInteger("activeVersion"));
            ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS).promote(
                    PromoteRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setVersion(1).build());

            JsonArray changes = observer.get("/api/changes").array();
            assertEquals(List.of("promote", "rollback", "threshold-reset", "threshold", "review"), changes.stream()
                    .map(c -> ((JsonObject) c).getString("action")).toList(), changes.encode());
            JsonObject promote = changes.getJsonObject(0);
            assertEquals("grpc", promote.getString("door"));
            assertEquals("127.0.0.1", promote.getString("who"), "without a client certificate, the address");
            assertEquals("version " + active.version(), promote.getString("before"));
            assertEquals("version 1", promote.getString("after"));
            JsonObject review = changes.getJsonObject(4);
            assertEquals(List.of(ENGINEER, "console", "result " + toReview.getResultId(), "NOT_DECIDABLE", "OK"),
                    List.of(review.getString("who"), review.getString("door"), review.getString("subject"),
                            review.getString("before"), review.getString("after")));
            assertTrue(changes.getJsonObject(3).getString("after").endsWith("threshold " + moved),
                    changes.getJsonObject(3).encode());

            assertRefused(engineer.post("/api/products/demo/threshold", new JsonObject().put("threshold", "high")),
                    400, "threshold must be a number, not 'high'");
            assertRefused(engineer.post("/api/products/demo/threshold", new JsonObject().put("threshold", -1)),
                    400, "fixed threshold must be a raw score above 0 and below 1000000.0, was -1.0");
            assertRefused(engineer.post("/api/products/nothing/threshold", new JsonObject().put("threshold", 1)),
                    404, "no product 'nothing' in the store");
            assertRefused(engineer.post("/api/products/demo/promote", new JsonObject().put("version", 99)),
                    404, null);
            assertRefused(engineer.post("/api/results/999999/review", new JsonObject().put("evaluation", "OK")),
                    404, "no result 999999 in the journal");
            assertRefused(engineer.post("/api/results/" + ok.getResultId() + "/review",
                    new JsonObject().put("evaluation", "MAYBE")), 400, "evaluation must be OK or NOT_OK, not 'MAYBE'");
            assertRefused(engineer.post("/api/results/abc/review", new JsonObject().put("evaluation", "OK")), 400,
                    "resultId must be a result id (a whole number above 0), not 'abc'");
            assertRefused(engineer.get("/api/results"), 400, "product is required");
            assertRefused(engineer.get("/api/parts?limit=0"), 400, "limit must be a whole number 1..2000, not '0'");
            assertRefused(engineer.get("/api/nothing"), 404, "no such request: GET /api/nothing");
            assertNotNull(defect);

            for (int i = 0; i < 5; i++) {
                assertEquals(401, new ConsoleClient(port, ca).signIn(OBSERVER, "guess-" + i).status());
            }
            ConsoleClient.Reply paused = new ConsoleClient(port, ca).signIn(OBSERVER, OBSERVER_PASSWORD);
            assertEquals(429, paused.status(), "after five failures even the right password waits a minute");
            assertEquals("account olga failed to sign in 5 times; try again in a minute", paused.error());
            assertEquals(200, observer.get("/api/products").status(), "a session already open goes on");
            assertEquals(401, anonymous.get("/api/session").status(), "failed sign-ins open no session");
        }
    }

    @Test
    void aFineTuneOnTheLinesKeptGoodPartsIsComparedWithTheActiveVersionThenPromoted() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        List<Path> good = ImageFolders.list(DemoFixture.testSet().resolve("test/good")).subList(0, 10);
        try (RunningNode node = new RunningNode(store, ConsoleApiTest::console)) {
            int port = node.server.consolePort().orElseThrow();
            ConsoleClient engineer = new ConsoleClient(port, null);
            assertEquals(200, engineer.signIn(ENGINEER, ENGINEER_PASSWORD).status());
            Map<Long, Path> images = new java.util.LinkedHashMap<>();
            for (int i = 0; i < good.size(); i++) {
                Verdict verdict = score(node, good.get(i), "G-" + i);
                assertEquals(Evaluation.OK, verdict.getEvaluation(), good.get(i).toString());
                images.put(verdict.getResultId(), good.get(i));
            }
            Verdict defect = score(node, DemoFixture.sampleDefect(), "D-1");
            images.put(defect.getResultId(), DemoFixture.sampleDefect());
            for (long resultId : images.keySet()) {
                ResultImagesTest.awaitImage(node, resultId);
            }

            JsonArray ids = new JsonArray(new java.util.ArrayList<Object>(images.keySet())).add(999_999);
            ConsoleClient.Reply kept = engineer.post("/api/products/demo/normals", new JsonObject().put("resultIds",
                    ids));
            assertEquals(200, kept.status(), String.valueOf(kept.json()));
            assertEquals(good.size(), kept.object().getInteger("stored"));
            assertEquals(List.of("result " + defect.getResultId() + " was NOT_OK: only an OK result's image is a "
                    + "normal", "no result 999999 in the journal"), kept.object().getJsonArray("refused").stream()
                    .map(r -> ((JsonObject) r).getString("reason")).toList());

            // or image files from the engineer's computer, one per request
            String uploads = "/api/products/demo/uploads";
            ConsoleClient observer = new ConsoleClient(port, null);
            observer.signIn(OBSERVER, OBSERVER_PASSWORD);
            byte[] sample = Files.readAllBytes(DemoFixture.sampleGood());
            assertEquals(401, new ConsoleClient(port, null).postBytes(uploads, "image/png", sample).status(),
                    "an image is read only for a signed-in engineer");
            assertEquals(403, observer.postBytes(uploads, "image/png", sample).status());
            assertRefused(engineer.postBytes(uploads, "image/png", new byte[0]), 400,
                    "the request's body must be the image itself (PNG or JPEG)");
            ConsoleClient.Reply garbage = engineer.postBytes(uploads, "image/png", "not an image".getBytes());
            assertEquals(400, garbage.status());
            assertTrue(garbage.error().startsWith("the image is refused: "), garbage.error());
            ConsoleClient.Reply uploaded = engineer.postBytes(uploads, "image/png", sample);
            assertEquals(200, uploaded.status(), String.valueOf(uploaded.json()));
            assertEquals(new JsonObject().put("outcome", "STORED").put("normals", good.size() + 1).put("defects", 0),
                    uploaded.object());
            assertEquals("DUPLICATE", engineer.postBytes(uploads, "image/png", sample).object().getString("outcome"));
            assertEquals(good.size() + 1, new ModelStore(store).uploads(DemoFixture.PRODUCT,
                    ModelStore.UploadKind.NORMAL).size());

            assertRefused(engineer.post("/api/products/demo/fine-tune", new JsonObject().put("epochs", 999)), 400,
                    "epochs must be 1..200, was 999");
            ConsoleClient.Reply started = engineer.post("/api/products/demo/fine-tune",
                    new JsonObject().put("epochs", 1));
            assertEquals(200, started.status(), String.valueOf(started.json()));
            String jobId = started.object().getString("jobId");
            JsonObject job = awaitJob(engineer, jobId);
            assertEquals("SUCCEEDED", job.getString("state"), job.encode());
            int candidate = job.getInteger("version");

            assertEquals(403, observer.post("/api/products/demo/compare", new JsonObject().put("version", candidate))
                    .status());
            ConsoleClient.Reply compared = engineer.post("/api/products/demo/compare",
                    new JsonObject().put("version", candidate).put("last", 50));
            assertEquals(200, compared.status(), String.valueOf(compared.json()));
            JsonObject comparison = compared.object();
            assertEquals(images.size(), comparison.getInteger("compared"), "every kept image of the latest results");
            JsonArray judged = comparison.getJsonArray("judged");
            long flips = judged.stream().filter(j -> ((JsonObject) j).getBoolean("flips")).count();
            assertEquals(images.size() - flips, comparison.getLong("agreeing"));
            for (Object each : judged) {
                JsonObject part = (JsonObject) each;
                Path image = images.get(part.getLong("resultId"));
                double byCandidate = scoreAt(node, image, candidate);
                assertEquals(byCandidate, part.getDouble("candidateScore"), 1e-6 * byCandidate,
                        "the candidate's score is what the node gives for that version");
                double byActive = scoreAt(node, image, 1);
                assertEquals(byActive, part.getDouble("activeScore"), 1e-6 * byActive);
                assertEquals(part.getBoolean("flips"), part.containsKey("candidateOverlay"),
                        "heatmaps side by side for the parts that flip");
            }
            assertRefused(engineer.post("/api/products/demo/compare", new JsonObject().put("version", 99)), 404,
                    "product demo has no version 99");
            assertRefused(engineer.post("/api/products/demo/compare", new JsonObject().put("version", candidate)
                    .put("last", 0)), 400, "last must be 1..200, not '0'");

            assertEquals(candidate, engineer.post("/api/products/demo/promote", new JsonObject().put("version",
                    candidate)).object().getInteger("activeVersion"));
            assertEquals(List.of("promote", "fine-tune", "upload", "normals"), engineer.get("/api/changes").array()
                    .stream().map(c -> ((JsonObject) c).getString("action")).toList());
        }
    }

    private static double scoreAt(RunningNode node, Path image, int version) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(DemoRequests.scoreRequest(image).toBuilder().setModelVersion(version).build()).getVerdict()
                .getRawScore();
    }

    static JsonObject awaitJob(ConsoleClient client, String jobId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (true) {
            JsonObject job = client.get("/api/jobs").array().stream().map(JsonObject.class::cast)
                    .filter(j -> j.getString("jobId").equals(jobId)).findFirst().orElseThrow();
            String state = job.getString("state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING") || System.nanoTime() > deadline) {
                return job;
            }
            Thread.sleep(200);
        }
    }

    private static void assertRefused(ConsoleClient.Reply reply, int status, String message) {
        assertEquals(status, reply.status(), String.valueOf(reply.json()));
        if (message != null) {
            assertEquals(message, reply.error());
        } else {
            assertNotNull(reply.error(), "a refusal says why");
        }
    }

    static JsonArray awaitParts(ConsoleClient client, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            JsonArray parts = client.get("/api/parts").array();
            if (parts.size() >= count || System.nanoTime() > deadline) {
                assertEquals(count, parts.size(), parts.encode());
                return parts;
            }
            Thread.sleep(50);
        }
    }
}
