package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.Part;
import dev.kdedge.node.results.ShadowScoring;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A candidate version judged beside the active one on live frames, as the field engineer runs it from the console:
 * started on a share of the frames, the line's replies still the active version's, both evaluations recorded, the
 * agreement shown in the console and as {@code kdedge_shadow_agreement}, kept across a restart, stopped, ended by
 * promoting the candidate, every start and stop audited; and never taking a worker the line needs.
 */
class ShadowScoringTest {
    @TempDir
    Path dir;

    @Test
    void aCandidateIsJudgedBesideTheActiveVersionOnAShareOfTheLinesFrames() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        // version 2: the demo's graph with a review band; version 1, the candidate: the same graph without one
        BandedDemo banded = BandedDemo.publish(store);
        int active = banded.version().version();
        List<Path> frames = new ArrayList<>(ImageFolders.list(DemoFixture.testSet().resolve("test/good")));
        try (Stream<Path> kinds = Files.list(DemoFixture.testSet().resolve("test"))) {
            for (Path kind : kinds.filter(k -> !k.getFileName().toString().equals("good")).toList()) {
                frames.addAll(ImageFolders.list(kind));
            }
        }
        // the journal, and the shadow's records beside it, outlive the node: it is restarted below
        Consumer<NodeConfig> config = c -> {
            ConsoleApiTest.console(c);
            c.journal.path = dir.resolve("journal/results.db").toString();
        };
        // a shadow changes no version: a node whose store is locked (models.enabled: false) still runs one
        try (RunningNode node = new RunningNode(store, config.andThen(c -> c.models.enabled = false))) {
            int port = node.server.consolePort().orElseThrow();
            ConsoleClient engineer = new ConsoleClient(port, null);
            engineer.signIn(ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
            ConsoleClient observer = new ConsoleClient(port, null);
            observer.signIn(ConsoleApiTest.OBSERVER, ConsoleApiTest.OBSERVER_PASSWORD);
            String shadow = "/api/products/demo/shadow";

            assertEquals(403, observer.post(shadow, start(1, 0.5)).status());
            assertRefused(engineer.post(shadow, start(1, 0)), 400, "share must be above 0 and at most 1");
            assertRefused(engineer.post(shadow, start(1, 1.5)), 400, "share must be above 0 and at most 1");
            assertRefused(engineer.post(shadow, start(99, 0.5)), 404, "product demo has no version 99");
            assertRefused(engineer.post(shadow, start(active, 0.5)), 400, "is the active one");
            assertRefused(engineer.post("/api/products/nope/shadow", start(1, 0.5)), 404, "no product 'nope'");
            assertRefused(engineer.delete(shadow), 404, "no shadow runs for product demo");
            assertEquals(JsonObject.of("shadow", null), engineer.get(shadow).object());

            assertEquals(403, engineer.post("/api/products/demo/promote", new JsonObject().put("version", 1))
                    .status(), "the store is locked");
            ConsoleClient.Reply started = engineer.post(shadow, start(1, 0.5));
            assertEquals(200, started.status(), started.error());
            assertEquals(1, started.object().getJsonObject("shadow").getInteger("candidateVersion"));

            for (Path frame : frames) {
                Verdict verdict = ConsoleApiTest.score(node, frame, "");
                assertEquals(String.valueOf(active), verdict.getModelVersion(),
                        "the line's answer is always the active version's");
            }
            int taken = frames.size() / 2;
            JsonObject agreement = awaitJudged(engineer, taken);
            long judged = agreement.getLong("judged");
            long agreeing = agreement.getLong("agreeing");
            assertTrue(judged > 0, "the candidate judged frames: " + agreement);
            // The same graph gives the same scores; only the active version's review band sends a part to a person,
            // which the candidate, without one, accepts.
            long reviewedByActive = 0;
            for (Object p : agreement.getJsonArray("pairings")) {
                JsonObject pairing = (JsonObject) p;
                String expected = pairing.getString("active").equals("NOT_DECIDABLE") ? "OK"
                        : pairing.getString("active");
                assertEquals(expected, pairing.getString("candidate"), agreement.encodePrettily());
                reviewedByActive += pairing.getString("active").equals("NOT_DECIDABLE") ? pairing.getLong("frames") : 0;
            }
            assertEquals(judged - agreeing, reviewedByActive);
            JsonArray disagreements = agreement.getJsonArray("disagreements");
            assertEquals(reviewedByActive, disagreements.size());
            for (Object d : disagreements) {
                JsonObject part = (JsonObject) d;
                assertEquals(part.getDouble("activeScore"), part.getDouble("candidateScore"), 1e-6);
                assertEquals(active, part.getInteger("activeVersion"));
            }
            MetricsScrape.awaitValue(node, "kdedge_shadow_agreement{product=\"demo\"}", (double) agreeing / judged);
            assertEquals(judged, MetricsScrape.value(MetricsScrape.of(node),
                    "kdedge_shadow_frames_total{outcome=\"judged\",product=\"demo\"}"));

            JsonObject on = engineer.get("/api/changes?product=demo").array().getJsonObject(0);
            assertEquals(List.of("shadow-on", "erin", "console", "off", "version 1 on 50.0% of frames"),
                    List.of(on.getString("action"), on.getString("who"), on.getString("door"), on.getString("before"),
                            on.getString("after")));
        }

        try (RunningNode restarted = new RunningNode(store, config)) {
            ConsoleClient engineer = new ConsoleClient(restarted.server.consolePort().orElseThrow(), null);
            engineer.signIn(ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
            String shadow = "/api/products/demo/shadow";
            JsonObject resumed = engineer.get(shadow).object();
            assertEquals(1, resumed.getJsonObject("shadow").getInteger("candidateVersion"), "a restart keeps it");
            assertTrue(resumed.getLong("judged") > 0, "and what it judged");

            assertEquals(200, engineer.delete(shadow).status());
            assertEquals(JsonObject.of("shadow", null), engineer.get(shadow).object());
            JsonObject off = engineer.get("/api/changes?product=demo").array().getJsonObject(0);
            assertEquals(List.of("shadow-off", "erin", "version 1 on 50.0% of frames", "off"),
                    List.of(off.getString("action"), off.getString("who"), off.getString("before"),
                            off.getString("after")));

            assertEquals(200, engineer.post(shadow, start(1, 1.0)).status());
            assertEquals(200, engineer.post("/api/products/demo/promote", new JsonObject().put("version", 1))
                    .status());
            assertEquals(JsonObject.of("shadow", null), engineer.get(shadow).object(),
                    "promoting the candidate ends its shadow");
            JsonArray changes = engineer.get("/api/changes?product=demo").array();
            JsonObject ended = changes.getJsonObject(0);
            assertEquals(List.of("shadow-off", "node", "version 1 became the active one"),
                    List.of(ended.getString("action"), ended.getString("who"), ended.getString("after")
                            .replace("ended: ", "")));
            assertEquals("promote", changes.getJsonObject(1).getString("action"));
        }
    }

    /**
     * The line comes first: while every scoring worker is busy, a frame of the shadow's share is skipped (counted),
     * not queued; once a worker is free, the next is judged; once the shadow's time budget is spent, the next is
     * skipped again.
     */
    @Test
    void aShadowNeverTakesAWorkerTheLineNeeds() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        BandedDemo banded = BandedDemo.publish(store);
        byte[] image = Files.readAllBytes(DemoFixture.sampleGood());
        try (HeldWorkersNode node = new HeldWorkersNode(store, 1, 4);
                AuditTrail audit = new AuditTrail(dir.resolve("changes.db"));
                ShadowScoring shadows = new ShadowScoring(node.pipeline(), new ModelStore(store), audit,
                        new ShadowScoring.Settings(dir.resolve("shadow.db"), 1, 0.001, 1000))) {
            shadows.start(DemoFixture.PRODUCT, 1, 1.0, Actor.console("erin"));
            node.hold(0);
            shadows.offer(request(image), recorded(banded.version().version(), 7));
            assertEquals(0, node.workers.getQueue().size(), "nothing queued behind the line's work");
            assertEquals(1, shadows.agreement(DemoFixture.PRODUCT).orElseThrow().skipped());

            node.release();
            awaitIdle(node);
            shadows.offer(request(image), recorded(banded.version().version(), 8));
            long until = System.nanoTime() + 60_000_000_000L;
            while (shadows.agreement(DemoFixture.PRODUCT).orElseThrow().judged() == 0) {
                assertTrue(System.nanoTime() < until, "the free worker never judged the frame");
                Thread.sleep(20);
            }
            ShadowScoring.Agreement agreement = shadows.agreement(DemoFixture.PRODUCT).orElseThrow();
            assertEquals(1, agreement.judged());
            assertEquals(1, agreement.skipped());

            // its time budget (0.1% of the clock here) is spent by that frame: the next is left to the line too,
            // for the seconds the budget takes to recover
            awaitIdle(node);
            shadows.offer(request(image), recorded(banded.version().version(), 9));
            assertEquals(0, node.workers.getQueue().size());
            assertEquals(2, shadows.agreement(DemoFixture.PRODUCT).orElseThrow().skipped());
        }
    }

    /**
     * A shared frame's pixels are lent for their call only: the shadow judges the frame as it came, though the door
     * reads the next frame into the same buffer as soon as the call has ended.
     */
    @Test
    void aSharedFrameIsJudgedAsItCameThoughItsBufferIsReused() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        BandedDemo banded = BandedDemo.publish(store);
        byte[] image = Files.readAllBytes(DemoFixture.sampleGood());
        Pixels frame = new ImageDecoder(1 << 24).decode(image);
        ByteBuffer lent = ByteBuffer.allocateDirect(frame.data().length).put(frame.data()).flip();
        try (HeldWorkersNode node = new HeldWorkersNode(store, 2, 4);
                AuditTrail audit = new AuditTrail(dir.resolve("changes.db"));
                ShadowScoring shadows = new ShadowScoring(node.pipeline(), new ModelStore(store), audit,
                        new ShadowScoring.Settings(dir.resolve("shadow.db"), 1, 0.5, 1000))) {
            shadows.start(DemoFixture.PRODUCT, 1, 1.0, Actor.console("erin"));
            InspectionRequest shared = new InspectionRequest(DemoFixture.PRODUCT, 0, new ImageInput.Raw(
                    ImageDecoder.RawFormat.GRAY8, frame.width(), frame.height(), 0, lent), HeatmapWish.NONE,
                    InspectionRequest.NO_DEADLINE, "camera", Part.UNNAMED, "camera");
            // recorded as rejected, so that the candidate's judgment of this good frame is a disagreement, score shown
            shadows.offer(shared, recorded(banded.version().version(), 7, Evaluation.NOT_OK));
            lent.clear();
            lent.put(new byte[lent.capacity()]);

            long until = System.nanoTime() + 60_000_000_000L;
            while (shadows.agreement(DemoFixture.PRODUCT).orElseThrow().judged() == 0) {
                assertTrue(System.nanoTime() < until, "the frame was never judged");
                Thread.sleep(20);
            }
            double asItCame = node.pipeline().score(new InspectionRequest(DemoFixture.PRODUCT, 1,
                    new ImageInput.Encoded(ByteBuffer.wrap(image)), HeatmapWish.NONE, InspectionRequest.NO_DEADLINE,
                    "camera", Part.UNNAMED, "camera"), new CompletableFuture<>()).get().verdict().rawScore();
            ShadowScoring.Judged judged = shadows.agreement(DemoFixture.PRODUCT).orElseThrow().disagreements().get(0);
            assertEquals(Evaluation.OK, judged.candidate());
            assertEquals(asItCame, judged.candidateScore(), 1e-9);
        }
    }

    private static InspectionRequest request(byte[] image) {
        return new InspectionRequest(DemoFixture.PRODUCT, 0, new ImageInput.Encoded(ByteBuffer.wrap(image)),
                HeatmapWish.NONE, InspectionRequest.NO_DEADLINE, "camera", Part.UNNAMED, "camera");
    }

    private static InspectionResult recorded(int version, long resultId) {
        return recorded(version, resultId, Evaluation.OK);
    }

    private static InspectionResult recorded(int version, long resultId, Evaluation evaluation) {
        return new InspectionResult(new InspectionResult.Verdict(DemoFixture.PRODUCT, version, 0.1, 0.2,
                evaluation, 1, null, "fp32", new InspectionResult.StageTimes(0, 0, 0, 0, 0, 0, 1)),
                Optional.empty(), Optional.empty(), Part.UNNAMED.withId("p" + resultId), resultId);
    }

    private static void awaitIdle(HeldWorkersNode node) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (node.workers.getActiveCount() > 0 || !node.workers.getQueue().isEmpty()) {
            assertTrue(System.nanoTime() < until, "the held tasks never ended");
            Thread.sleep(5);
        }
    }

    private static JsonObject start(int version, double share) {
        return new JsonObject().put("version", version).put("share", share);
    }

    private static void assertRefused(ConsoleClient.Reply reply, int status, String message) {
        assertEquals(status, reply.status(), reply.error());
        assertTrue(reply.error().contains(message), reply.error());
    }

    /** The shadow once every frame of its share was judged or skipped. */
    private static JsonObject awaitJudged(ConsoleClient engineer, int taken) throws Exception {
        long until = System.nanoTime() + 120_000_000_000L;
        while (true) {
            JsonObject agreement = engineer.get("/api/products/demo/shadow").object();
            if (agreement.getLong("judged") + agreement.getLong("skipped") >= taken) {
                assertEquals(taken, agreement.getLong("judged") + agreement.getLong("skipped"), agreement.encode());
                return agreement;
            }
            assertTrue(System.nanoTime() < until, "the shadow's frames were never all judged: " + agreement);
            Thread.sleep(50);
        }
    }
}
