package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parts people reviewed are labeled data: the console gives the product's reviewed parts as an MVTec-layout test set
 * (their kept images, good and reviewed_not_ok, with who decided each), and {@code kdedge-calibrate evaluate} reads it
 * as any test set, image metrics only.
 */
class ReviewedTestSetTest {
    @TempDir
    Path dir;

    @Test
    void theReviewedPartsAreATestSetEvaluateReads() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Map<Long, Boolean> defective = new LinkedHashMap<>();
        Map<Long, Double> scores = new LinkedHashMap<>();
        try (RunningNode node = new RunningNode(store, config -> {
            ConsoleApiTest.console(config);
            config.journal.images.keepOkOneIn = 1;
        })) {
            ConsoleClient engineer = new ConsoleClient(node.server.consolePort().orElseThrow(), null);
            engineer.signIn(ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
            try (Stream<Path> kinds = Files.list(DemoFixture.testSet().resolve("test"))) {
                for (Path kind : kinds.sorted().toList()) {
                    boolean good = kind.getFileName().toString().equals("good");
                    for (Path image : ImageFolders.list(kind)) {
                        Verdict verdict = ConsoleApiTest.score(node, image, "");
                        defective.put(verdict.getResultId(), !good);
                        scores.put(verdict.getResultId(), verdict.getRawScore());
                        ResultImagesTest.awaitImage(node, verdict.getResultId());
                    }
                }
            }
            for (Map.Entry<Long, Boolean> part : defective.entrySet()) {
                ConsoleClient.Reply reviewed = engineer.post("/api/results/" + part.getKey() + "/review",
                        new JsonObject().put("evaluation", part.getValue() ? "NOT_OK" : "OK"));
                assertEquals(200, reviewed.status(), reviewed.error());
            }

            ConsoleClient observer = new ConsoleClient(node.server.consolePort().orElseThrow(), null);
            observer.signIn(ConsoleApiTest.OBSERVER, ConsoleApiTest.OBSERVER_PASSWORD);
            ConsoleClient.Reply zip = observer.get("/api/products/demo/reviewed.zip");
            assertEquals(200, zip.status());
            assertEquals("application/zip", zip.response().headers().firstValue("content-type").orElse(""));
            Path testSet = unzip(zip.response().body(), dir.resolve("reviewed"));
            List<String> csv = Files.readAllLines(testSet.resolve("reviews.csv"));
            assertEquals("result_id,image,evaluation,reviewer,door,reviewed_at,model_version,raw_score", csv.get(0));
            assertEquals(defective.size() + 1, csv.size());
            long defects = defective.values().stream().filter(d -> d).count();
            assertEquals(defects, ImageFolders.list(testSet.resolve("test/reviewed_not_ok")).size());
            assertEquals(404, observer.get("/api/products/nope/reviewed.zip").status());

            Path json = dir.resolve("evaluation.json");
            CalibrateCli.Run evaluated = CalibrateCli.run("evaluate", "--node=127.0.0.1:" + node.server.port(),
                    "--product=demo", "--data=" + testSet, "--json=" + json);
            assertEquals(0, evaluated.exitCode(), evaluated.err());
            JsonNode result = new ObjectMapper().readTree(json.toFile());
            assertEquals(defective.size(), result.get("images").asInt());
            assertEquals(defects, result.get("defective").asLong());
            assertEquals(auroc(scores, defective), result.get("imageAuroc").asDouble(), 1e-9,
                    "evaluate scores the reviewed parts as the node scored them on the line");
            assertTrue(result.get("pixelAuroc").isNull(), "a review labels the part, not its pixels");
        }
    }

    /** The probability that a defective part outscores a good one, ties counted half. */
    private static double auroc(Map<Long, Double> scores, Map<Long, Boolean> defective) {
        double wins = 0;
        long pairs = 0;
        for (long bad : defective.keySet()) {
            for (long good : defective.keySet()) {
                if (defective.get(bad) && !defective.get(good)) {
                    double d = scores.get(bad) - scores.get(good);
                    wins += d > 0 ? 1 : d == 0 ? 0.5 : 0;
                    pairs++;
                }
            }
        }
        return wins / pairs;
    }

    private static Path unzip(byte[] zip, Path to) throws Exception {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                Path file = to.resolve(entry.getName()).normalize();
                assertTrue(file.startsWith(to), entry.getName());
                Files.createDirectories(file.getParent());
                Files.copy(in, file);
            }
        }
        return to;
    }
}
