package dev.kdedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.metrics.RocCurve;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.cli.report.GroundTruthOutline;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kdedge-calibrate evaluate} as an engineer runs it, on the demo product and its generated test set with
 * masks: the JSON is complete and self-consistent, and the HTML report opens in a real browser (Debian's chromium,
 * headless, every request to the network refused) with no console message, all four charts drawn (the fourth: the
 * fit's synthetic defects against its held-out normals) and every gallery image decoded. The screenshot is kept at {@code target/evaluation-report.png}. Without chromium the browser part
 * is skipped on a developer's machine and fails under CI, where .ci/run installs it.
 */
class EvaluateCommandTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path out;

    @Test
    void evaluateWritesConsistentJsonAndAReportThatRendersInABrowser() throws Exception {
        Path json = out.resolve("evaluation.json");
        Path report = out.resolve("report.html");
        CliRun run = evaluate("--data", DemoFixture.testSet().toString(), "--json", json.toString(),
                "--report", report.toString(), "--gallery", "4");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("image AUROC"), run.out());

        JsonNode result = new ObjectMapper().readTree(json.toFile());
        assertEquals(24, result.get("images").asInt());
        assertEquals(12, result.get("defective").asInt());
        JsonNode scores = result.get("scores");
        double[] values = new double[scores.size()];
        boolean[] defective = new boolean[scores.size()];
        int flaggedGood = 0;
        int missed = 0;
        for (int i = 0; i < scores.size(); i++) {
            values[i] = scores.get(i).get("score").asDouble();
            defective[i] = !scores.get(i).get("type").asText().equals("good");
            boolean flagged = scores.get(i).get("flagged").asBoolean();
            assertEquals(values[i] >= result.get("atThreshold").get("threshold").asDouble(), flagged);
            flaggedGood += !defective[i] && flagged ? 1 : 0;
            missed += defective[i] && !flagged ? 1 : 0;
        }
        assertEquals(RocCurve.auroc(values, defective), result.get("imageAuroc").asDouble(), 1e-12);
        assertEquals(result.get("imageAuroc").asDouble(), result.get("imageAurocPerType").get("scratch").asDouble(), 1e-12);
        assertEquals(flaggedGood, result.get("atThreshold").get("falsePositives").asInt());
        assertEquals(missed, result.get("atThreshold").get("falseNegatives").asInt());
        assertTrue(result.get("pixelAuroc").asDouble() > 0.5, "the demo's scratches are localized");
        JsonNode proX = result.get("proCurve").get("falsePositiveRates");
        assertEquals(0.3, proX.get(proX.size() - 1).asDouble(), 1e-12);
        assertTrue(result.get("f1Optimal").get("f1").asDouble() > 0);

        String html = Files.readString(report);
        assertTrue(html.contains("Evaluation of demo@1"));
        assertTrue(referencesNothingOutside(html), "the report references nothing outside itself");
        assertGalleryDefectsOutlined(html);
        renderInChromium(report, countGalleryImages(html));
    }

    /** Every gallery picture of a defect with a mask shows the mask's outline; a good part's shows none. */
    private static void assertGalleryDefectsOutlined(String html) throws Exception {
        Matcher figure = Pattern.compile("data:image/png;base64,([^\"]+)\" alt=\"[^\"]*\">\\s*<figcaption><b>[^<]*</b> "
                + "([^/]+)/").matcher(html);
        int defects = 0;
        while (figure.find()) {
            BufferedImage picture = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(
                    figure.group(1).replace("&#x3D;", "=")) /* the template escapes the padding */));
            int outlined = 0;
            for (int y = 0; y < picture.getHeight(); y++) {
                for (int x = 0; x < picture.getWidth(); x++) {
                    outlined += (picture.getRGB(x, y) & 0xFFFFFF) == GroundTruthOutline.COLOUR ? 1 : 0;
                }
            }
            if (figure.group(2).equals("good")) {
                assertEquals(0, outlined, "a good part (a false reject) has no outline");
            } else {
                assertTrue(outlined > 0, "the " + figure.group(2) + " defect is outlined");
                defects++;
            }
        }
        assertTrue(defects > 0, "the demo's gallery shows its detected scratches");
    }

    @Test
    void aDontCareRegionFittedFromTheCommandLineIsLeftOutAndShownInTheReport() throws Exception {
        BufferedImage drawn = new BufferedImage(256, 256, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = drawn.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 128, 128);
        g.dispose();
        Path mask = out.resolve("label.png");
        ImageIO.write(drawn, "png", mask.toFile());
        Path store = out.resolve("store");
        CliRun fit = CliRun.of(CliRun.demoFit(store, "labelled", "--dont-care", mask.toString()));
        assertEquals(0, fit.exitCode(), fit.err());
        assertEquals(0.25, new ModelStore(store).activeBundle("labelled").manifest().dontCare().coveredShare());

        Path report = out.resolve("labelled.html");
        CliRun run = CliRun.of(List.of("evaluate", "--store", store.toString(), "--product", "labelled", "--data",
                DemoFixture.testSet().toString(), "--report", report.toString(), "--gallery", "2"));
        assertEquals(0, run.exitCode(), run.err());
        String html = Files.readString(report);
        assertTrue(html.contains("<h2>Don't-care region</h2>") && html.contains("(25.0 % of the model's input). Drawn "
                + "on 256 x 256 frames"), "the report shows the mask");
        assertTrue(html.contains("<img class=\"mask\" src=\"data:image/png;base64,"), "and draws it");
        assertTrue(html.contains("the version's don't-care region (25.0% of each map) is left out of pixel AUROC "
                + "and PRO"), "and says its pixels were left out");
    }

    @Test
    void aFolderThatIsNotMvtecLayoutIsRefusedWithTheReason() throws Exception {
        CliRun run = evaluate("--data", out.toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("is not an MVTec-layout category (no test/ folder)"), run.err());
    }

    @Test
    void aTestSetWithoutDefectsStillReportsFalseRejects() throws Exception {
        Path good = Files.createDirectories(out.resolve("only-good/test/good"));
        try (var files = Files.list(DemoFixture.testSet().resolve("test/good"))) {
            for (Path f : files.toList()) {
                Files.copy(f, good.resolve(f.getFileName()));
            }
        }
        Path json = out.resolve("good.json");
        CliRun run = evaluate("--data", out.resolve("only-good").toString(), "--json", json.toString(), "--report",
                out.resolve("good.html").toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode result = new ObjectMapper().readTree(json.toFile());
        assertTrue(result.get("imageAuroc").isNull());
        assertTrue(result.get("f1Optimal").isNull());
        assertTrue(result.get("notes").toString().contains("no defective images"), result.get("notes").toString());
        assertTrue(run.out().contains("good parts rejected"), run.out());
    }

    @Test
    void theTensorRtInt8VariantIsScoredWhereTheFitPublishedIt() throws Exception {
        String testSet = DemoFixture.testSet().toString();
        CliRun misplaced = evaluate("--data", testSet, "--int8-variant", "tensorrt");
        assertEquals(1, misplaced.exitCode());
        assertTrue(misplaced.err().contains("--int8-variant applies with --precision int8"), misplaced.err());
        CliRun unknown = evaluate("--data", testSet, "--precision", "int8", "--int8-variant", "tflite");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown int8 variant 'tflite': expected one of [onnxruntime, tensorrt]"),
                unknown.err());

        Manifest.Int8 tensorRt = new ModelStore(DemoFixture.store()).activeBundle("demo").manifest().int8TensorRt();
        CliRun run = evaluate("--data", testSet, "--precision", "int8", "--int8-variant", "tensorrt");
        if (tensorRt.published()) {
            assertEquals(0, run.exitCode(), run.err());
            assertTrue(run.out().contains("demo@1 (int8 for tensorrt)"), run.out());
        } else {
            assertEquals(1, run.exitCode());
            assertTrue(run.err().contains("demo@1 has no int8 variant for tensorrt: " + tensorRt.refusal()),
                    run.err());
        }
    }

    private CliRun evaluate(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("evaluate", "--store", DemoFixture.store().toString(),
                "--product", "demo"));
        command.addAll(List.of(args));
        return CliRun.of(command);
    }

    /** Chart.js's own source mentions its web site; nothing outside the inlined library may name a URL. */
    private static boolean referencesNothingOutside(String html) {
        String withoutLibrary = html.replaceAll("(?s)<script>/\\*!\\s*\\* Chart\\.js.*?</script>", "");
        return !withoutLibrary.contains("http://") && !withoutLibrary.contains("https://");
    }

    private static int countGalleryImages(String html) {
        Matcher m = Pattern.compile("<img src=\"data:image/png;base64,").matcher(html);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private void renderInChromium(Path report, int galleryImages) throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(CHROMIUM), "Debian's chromium is not installed");
        }
        Path screenshot = out.resolve("report.png");
        Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-sync", "--disable-background-networking",
                "--disable-component-update", "--disable-default-apps", "--disable-dev-shm-usage",
                // nothing may leave the machine: every connection goes to a closed local port
                "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--user-data-dir=" + out.resolve("chromium-profile"), "--enable-logging=stderr", "--v=0",
                "--window-size=1280,2400", "--virtual-time-budget=10000", "--screenshot=" + screenshot,
                "--dump-dom", report.toUri().toString())
                .redirectError(out.resolve("chromium.log").toFile()).start();
        String dom = new String(chromium.getInputStream().readAllBytes());
        assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        String log = Files.readString(out.resolve("chromium.log"));

        List<String> console = log.lines().filter(l -> l.contains(":CONSOLE")).toList();
        assertEquals(List.of(), console, "the report logs nothing to the console");
        Matcher body = Pattern.compile("<body([^>]*)>").matcher(dom);
        assertTrue(body.find(), "no DOM dumped; chromium log:\n" + log);
        assertTrue(body.group(1).contains("data-charts=\"4\""),
                "ROC, histogram, PRO and the fit's synthetic defects drawn: " + body.group(1));
        assertTrue(body.group(1).contains("data-images-decoded=\"" + galleryImages + "\""),
                galleryImages + " gallery images decoded: " + body.group(1));
        assertTrue(dom.contains("id=\"errors\"></div>"), "no script error shown on the page");

        BufferedImage shot = ImageIO.read(screenshot.toFile());
        assertEquals(1280, shot.getWidth());
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < shot.getHeight(); y += 3) {
            for (int x = 0; x < shot.getWidth(); x += 3) {
                colors.add(shot.getRGB(x, y));
            }
        }
        assertTrue(colors.size() > 500, "the screenshot shows charts and heat maps, not a blank page: "
                + colors.size() + " colors");
        Files.createDirectories(Path.of("target"));
        Files.copy(screenshot, Path.of("target", "evaluation-report.png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
