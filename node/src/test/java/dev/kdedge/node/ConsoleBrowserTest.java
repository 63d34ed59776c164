package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.InspectionRecord;
import dev.kdedge.api.v1.ListResultsRequest;
import dev.kdedge.api.v1.ResultFilter;
import dev.kdedge.api.v1.ResultsGrpc;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (Debian's chromium, driven through chromium-driver by Selenium) against a node
 * serving TLS, as the field engineer uses it: sign in, see the parts a camera sends appear on the line, move the
 * threshold and see the preview count what the journal says, apply it, decide a part in the review queue, roll back;
 * and as an observer: no write controls, and a write sent by hand from the page refused by the node. Screenshots at
 * 1280 and 800 px wide and the page's weight and time to first render go to {@code target/console/}.
 */
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path OUT = Path.of("target/console");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void anEngineerWatchesTunesAndDecidesAnObserverOnlyWatches() throws Exception {
        requireChromium();
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        BandedDemo banded = BandedDemo.publish(store);
        ModelStore modelStore = new ModelStore(store);
        Path ca = dir.resolve("ca.crt");
        try (RunningNode node = new RunningNode(store, config -> {
            ConsoleApiTest.console(config);
            try {
                ConsoleApiTest.tls(config, dir);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, ca)) {
            String page = "https://localhost:" + node.server.consolePort().orElseThrow() + "/";
            WebDriver browser = chromium(dir.resolve("engineer-profile"));
            try {
                browser.get(page);
                Map<?, ?> firstLoad = pageLoad(browser);
                signIn(browser, ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);

                ConsoleApiTest.score(node, banded.accepted(), "SN-1");
                ConsoleApiTest.score(node, banded.toReview(), "SN-2");
                ConsoleApiTest.score(node, DemoFixture.sampleDefect(), "SN-3");
                wait(browser).until(b -> b.findElements(By.cssSelector("#stations .part")).size() == 3);
                List<String> shown = browser.findElements(By.cssSelector("#stations .part .evaluation")).stream()
                        .map(WebElement::getText).toList();
                assertEquals(List.of("NOT OK", "NOT DECIDABLE", "OK"), shown, "parts appear as they come, newest first");
                assertTrue(browser.findElement(By.id("line-stats")).getText().contains("3 parts, reject rate 33.3%"),
                        browser.findElement(By.id("line-stats")).getText());
                screenshot(browser, "line-1280.png");

                browser.findElement(By.cssSelector(".tab[data-view=product]")).click();
                wait(browser).until(b -> b.findElement(By.id("preview")).getText().contains("of the last 3 results"));
                double fitted = banded.version().manifest().threshold().calibration().threshold();
                double moved = (banded.reviewFrom() + fitted) / 2;
                double chosen = setSlider(browser, moved);
                int previewed = Integer.parseInt(browser.findElement(By.id("preview")).getAttribute("data-changes"));
                assertEquals(changesAt(node, chosen, banded.reviewFrom()), previewed,
                        "the preview counts what the journal's results would become");
                double low = setSlider(browser, 1e-6);
                assertEquals(changesAt(node, low, banded.reviewFrom()), Integer.parseInt(browser.findElement(
                        By.id("preview")).getAttribute("data-changes")));
                assertTrue(Integer.parseInt(browser.findElement(By.id("preview")).getAttribute("data-changes")) >= 2,
                        "at a threshold below every score, the OK and the in-band parts would be rejected");
                chosen = setSlider(browser, moved);
                screenshot(browser, "product-1280.png");
                browser.findElement(By.id("apply-threshold")).click();
                wait(browser).until(b -> b.findElement(By.id("confirm-box")).isDisplayed());
                browser.findElement(By.id("confirm-yes")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText().contains("applied"));
                assertEquals(chosen, modelStore.activeBundle(DemoFixture.PRODUCT).manifest().threshold()
                        .calibration().threshold(), 1e-12, "the threshold the slider showed is served");
                int applied = modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow();

                browser.findElement(By.cssSelector(".tab[data-view=review]")).click();
                wait(browser).until(b -> b.findElements(By.cssSelector("#review-queue .part")).size() == 1);
                screenshot(browser, "review-1280.png");
                browser.findElement(By.cssSelector("#review-queue .review-NOT_OK")).click();
                wait(browser).until(b -> b.findElements(By.cssSelector("#review-queue .part")).isEmpty());

                browser.findElement(By.cssSelector(".tab[data-view=product]")).click();
                wait(browser).until(b -> b.findElement(By.id("rollback")).isEnabled());
                browser.findElement(By.id("rollback")).click();
                browser.findElement(By.id("confirm-yes")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText().contains("rolled back"));
                assertEquals(banded.version().version(), modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());

                browser.findElement(By.cssSelector(".tab[data-view=changes]")).click();
                wait(browser).until(b -> b.findElements(By.cssSelector("#changes tbody tr")).size() == 3);
                List<String> actions = browser.findElements(By.cssSelector("#changes tbody tr td:nth-child(4)"))
                        .stream().map(WebElement::getText).toList();
                assertEquals(List.of("rollback", "review", "threshold"), actions);
                assertTrue(browser.findElement(By.cssSelector("#changes tbody tr:nth-child(3)")).getText()
                        .contains("version " + applied), "the threshold's change names the version it made");

                browser.manage().window().setSize(new Dimension(800, 1100));
                browser.findElement(By.cssSelector(".tab[data-view=line]")).click();
                screenshot(browser, "line-800.png");
                browser.findElement(By.cssSelector(".tab[data-view=product]")).click();
                wait(browser).until(b -> b.findElement(By.id("preview")).getText().contains("of the last"));
                screenshot(browser, "product-800.png");
                Files.writeString(OUT.resolve("page.txt"), "first load of the console (sign-in page), chromium "
                        + "headless, node on the same machine over TLS: " + firstLoad + "\n");
            } finally {
                browser.quit();
            }

            WebDriver observer = chromium(dir.resolve("observer-profile"));
            try {
                observer.get(page);
                signIn(observer, ConsoleApiTest.OBSERVER, ConsoleApiTest.OBSERVER_PASSWORD);
                ConsoleApiTest.score(node, banded.toReview(), "SN-5");
                wait(observer).until(b -> b.findElements(By.cssSelector("#stations .part")).size() == 4);
                observer.findElement(By.cssSelector(".tab[data-view=review]")).click();
                wait(observer).until(b -> b.findElements(By.cssSelector("#review-queue .part")).size() == 1);
                assertEquals(List.of(), observer.findElements(By.cssSelector("#review-queue button")),
                        "an observer is offered no decision");
                observer.findElement(By.cssSelector(".tab[data-view=product]")).click();
                assertEquals(List.of(), observer.findElements(By.cssSelector(".engineer-only, .promote, "
                        + "#apply-threshold, #rollback")), "nor any change");
                Object answer = ((JavascriptExecutor) observer).executeAsyncScript("const done = arguments[0];"
                        + "fetch('/api/products/demo/rollback', {method: 'POST', headers: {'X-XSRF-TOKEN': "
                        + "csrfToken(), 'Content-Type': 'application/json'}, body: '{}'})"
                        + ".then(r => r.json().then(j => done(r.status + ' ' + j.error)));");
                assertEquals("403 to roll back needs role engineer; account olga is observer", answer,
                        "a write sent by hand from the observer's page");
                assertEquals(banded.version().version(), modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());
                observer.manage().window().setSize(new Dimension(800, 1100));
                observer.findElement(By.cssSelector(".tab[data-view=review]")).click();
                screenshot(observer, "review-observer-800.png");
            } finally {
                observer.quit();
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void anEngineerRecalibratesFromTheLinesGoodPartsComparesAndPromotes() throws Exception {
        requireChromium();
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        ModelStore modelStore = new ModelStore(store);
        List<Path> good = goodParts();
        try (RunningNode node = new RunningNode(store, ConsoleApiTest::console)) {
            scoredAndKept(node, good);
            WebDriver browser = chromium(dir.resolve("profile"));
            try {
                browser.get("http://localhost:" + node.server.consolePort().orElseThrow() + "/");
                signIn(browser, ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
                browser.findElement(By.cssSelector(".tab[data-view=product]")).click();
                wait(browser).until(b -> b.findElements(By.cssSelector("#kept-ok input")).size() == good.size());
                browser.findElements(By.cssSelector("#kept-ok input")).forEach(WebElement::click);
                browser.findElement(By.id("add-normals")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText()
                        .startsWith(good.size() + " added as normals"));
                assertEquals(good.size(), modelStore.uploads(DemoFixture.PRODUCT, ModelStore.UploadKind.NORMAL)
                        .size());
                // and files from the engineer's computer: one more good part, and a file that is no image
                Path notAnImage = Files.writeString(dir.resolve("notes.png"), "not an image");
                browser.findElement(By.id("upload-files")).sendKeys(DemoFixture.sampleGood() + "\n" + notAnImage);
                browser.findElement(By.id("upload-normals")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText().startsWith("1 uploaded as normals"));
                assertTrue(browser.findElement(By.id("message")).getText().contains("notes.png: the image is refused"),
                        browser.findElement(By.id("message")).getText());
                assertEquals(good.size() + 1, modelStore.uploads(DemoFixture.PRODUCT, ModelStore.UploadKind.NORMAL)
                        .size());

                WebElement epochs = browser.findElement(By.id("epochs"));
                epochs.clear();
                epochs.sendKeys("1");
                browser.findElement(By.id("start-fine-tune")).click();
                new WebDriverWait(browser, Duration.ofMinutes(4)).until(b -> List.of("SUCCEEDED", "FAILED",
                        "CANCELLED").contains(String.valueOf(b.findElement(By.id("job")).getAttribute("data-state"))));
                assertEquals("SUCCEEDED", browser.findElement(By.id("job")).getAttribute("data-state"),
                        browser.findElement(By.id("job")).getText());
                int candidate = modelStore.versions(DemoFixture.PRODUCT).stream().mapToInt(Integer::intValue).max()
                        .orElseThrow();
                wait(browser).until(b -> String.valueOf(candidate).equals(b.findElement(By.id("compare-version"))
                        .getAttribute("value")));
                browser.findElement(By.id("compare")).click();
                wait(browser).until(b -> String.valueOf(good.size()).equals(b.findElement(
                        By.id("comparison-summary")).getAttribute("data-compared")));
                screenshot(browser, "recalibrate-1280.png");

                // then on live parts: the candidate shadows the line on every frame, the line still answered by
                // version 1, and is promoted from there
                wait(browser).until(b -> String.valueOf(candidate).equals(b.findElement(By.id("shadow-version"))
                        .getAttribute("value")));
                WebElement share = browser.findElement(By.id("shadow-share"));
                share.clear();
                share.sendKeys("100");
                browser.findElement(By.id("start-shadow")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText().contains("shadows demo"));
                for (int i = 0; i < good.size(); i++) {
                    assertEquals("1", ConsoleApiTest.score(node, good.get(i), "S-" + i).getModelVersion());
                }
                new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> !b.findElement(By.id("shadow-summary"))
                        .getAttribute("data-judged").matches("|0"));
                JsonObject shadow = engineerApi(node).get("/api/products/demo/shadow").object();
                assertTrue(browser.findElement(By.id("shadow-summary")).getText().contains("Version " + candidate
                        + " scores 100% of the live frames"), browser.findElement(By.id("shadow-summary")).getText());
                assertTrue(shadow.getLong("judged") >= Long.parseLong(browser.findElement(By.id("shadow-summary"))
                        .getAttribute("data-judged")));
                screenshot(browser, "shadow-1280.png");

                browser.findElement(By.id("promote-shadow")).click();
                browser.findElement(By.id("confirm-yes")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText().contains("promoted"));
                assertEquals(candidate, modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());
                wait(browser).until(b -> b.findElement(By.id("shadow-summary")).getText().startsWith("No shadow runs"));
                wait(browser).until(b -> b.findElement(By.id("rollback")).isEnabled());
                browser.findElement(By.id("rollback")).click();
                browser.findElement(By.id("confirm-yes")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getText().contains("rolled back"));
                assertEquals(1, modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void anEngineerDrawsADontCareRegionOverAKeptFrameAndTheLineIsScoredWithIt() throws Exception {
        requireChromium();
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        ModelStore modelStore = new ModelStore(store);
        List<Path> good = goodParts();
        try (RunningNode node = new RunningNode(store, ConsoleApiTest::console)) {
            ConsoleClient engineer = engineerApi(node);
            JsonArray resultIds = new JsonArray(scoredAndKept(node, good));
            BufferedImage frame = ImageIO.read(good.get(0).toFile());
            JsonObject aRectangle = new JsonObject().put("width", frame.getWidth()).put("height", frame.getHeight())
                    .put("polygons", new JsonArray().add(new JsonArray().add(new JsonArray().add(0).add(0))
                            .add(new JsonArray().add(10).add(0)).add(new JsonArray().add(10).add(10))));
            String path = "/api/products/" + DemoFixture.PRODUCT + "/dont-care";
            ConsoleClient.Reply tooFewNormals = engineer.post(path, new JsonObject().put("polygons", aRectangle));
            assertEquals(409, tooFewNormals.status(), tooFewNormals.error());
            assertTrue(tooFewNormals.error().contains("has 0 uploaded normal images"), tooFewNormals.error());
            assertEquals(10, engineer.post("/api/products/" + DemoFixture.PRODUCT + "/normals", new JsonObject()
                    .put("resultIds", resultIds)).object().getInteger("normals"));
            ConsoleClient.Reply noRegion = engineer.post(path, new JsonObject());
            assertEquals(400, noRegion.status());
            assertTrue(noRegion.error().startsWith("name one region"), noRegion.error());
            ConsoleClient.Reply otherAspect = engineer.post(path, new JsonObject().put("polygons", aRectangle.copy()
                    .put("width", 3 * frame.getWidth())));
            assertEquals(400, otherAspect.status());
            assertTrue(otherAspect.error().contains("aspect"), otherAspect.error());
            ConsoleClient.Reply none = engineer.get(path);
            assertEquals(404, none.status());
            assertEquals("version 1 of demo has no don't-care region", none.error());
            assertEquals(1, modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow(), "nothing changed");

            WebDriver browser = chromium(dir.resolve("profile"));
            try {
                browser.get("http://localhost:" + node.server.consolePort().orElseThrow() + "/");
                signIn(browser, ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
                browser.findElement(By.cssSelector(".tab[data-view=product]")).click();
                WebElement canvas = browser.findElement(By.id("region-canvas"));
                wait(browser).until(b -> canvas.isDisplayed() && "0".equals(canvas.getAttribute("data-shapes")));
                assertTrue(browser.findElement(By.id("region-summary")).getText().contains("has no don't-care region"),
                        browser.findElement(By.id("region-summary")).getText());
                assertEquals("result " + resultIds.getLong(resultIds.size() - 1) + ", " + frame.getWidth() + "x"
                        + frame.getHeight(), canvas.getAttribute("data-backdrop"), "drawn over the newest kept frame");
                // or over a frame from the engineer's computer
                browser.findElement(By.id("region-file")).sendKeys(DemoFixture.sampleGood().toString());
                wait(browser).until(b -> canvas.getAttribute("data-backdrop").startsWith("sample-good.png, "));
                ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()", canvas);

                // the top left quarter of the frame, corner by corner and closed on the first; clicked half a pixel
                // in, the corners on the frame's edges land on them
                int[][] corners = {{0, 0}, {frame.getWidth() / 2, 0}, {frame.getWidth() / 2, frame.getHeight() / 2},
                        {0, frame.getHeight() / 2}, {0, 0}};
                for (int[] corner : corners) {
                    clickAtFramePixel(browser, canvas, frame, corner[0] + 0.5, corner[1] + 0.5);
                }
                assertEquals("1", canvas.getAttribute("data-shapes"), "the shape closed on its first corner");
                assertEquals("0", canvas.getAttribute("data-corners"));
                screenshot(browser, "region-drawn-1280.png");
                browser.findElement(By.id("apply-region")).click();
                wait(browser).until(b -> b.findElement(By.id("confirm-box")).isDisplayed());
                browser.findElement(By.id("confirm-yes")).click();
                new WebDriverWait(browser, Duration.ofMinutes(3)).until(b -> b.findElement(By.id("message")).getText()
                        .contains("serves a don't-care region"));
                ProductBundle regioned = modelStore.activeBundle(DemoFixture.PRODUCT);
                assertEquals(2, regioned.version(), browser.findElement(By.id("message")).getText());
                assertEquals(0.25, regioned.manifest().dontCare().coveredShare(), 0.02);
                BufferedImage served = ImageIO.read(new ByteArrayInputStream(engineer.get(path).response().body()));
                assertEquals(frame.getWidth(), served.getWidth(), "drawn at the camera's resolution");
                assertEquals(0xffffff, served.getRGB(frame.getWidth() / 4, frame.getHeight() / 4) & 0xffffff,
                        "where it was drawn, nothing counts");
                assertEquals(0, served.getRGB(3 * frame.getWidth() / 4, frame.getHeight() / 4) & 0xffffff,
                        "beside it, everything does");
                for (int i = 0; i < good.size(); i++) {
                    Verdict again = ConsoleApiTest.score(node, good.get(i), "R-" + i);
                    assertEquals("2", again.getModelVersion(), "the line is scored with the region from the next part");
                    assertEquals(Evaluation.OK, again.getEvaluation(), "good part " + i + " is still OK: "
                            + again.getRawScore() + " against " + again.getThreshold());
                }
                assertEquals(modelStore.bundle(DemoFixture.PRODUCT, 1).manifest().threshold().calibration()
                        .threshold(), regioned.manifest().threshold().calibration().threshold(),
                        "the threshold as served");
                // the served region's shape comes back to edit: one more is added beside it
                wait(browser).until(b -> "2".equals(b.findElement(By.id("region-summary")).getAttribute(
                        "data-version")) && "1".equals(canvas.getAttribute("data-shapes")));
                assertTrue(browser.findElement(By.id("region-summary")).getText().contains("leaves 2"),
                        browser.findElement(By.id("region-summary")).getText());
                int right = frame.getWidth();
                int bottom = frame.getHeight();
                for (int[] corner : new int[][] {{right / 2, bottom / 2}, {right, bottom / 2}, {right, bottom},
                        {right / 2, bottom}, {right / 2, bottom / 2}}) {
                    clickAtFramePixel(browser, canvas, frame, corner[0] - 0.5, corner[1] - 0.5);
                }
                assertEquals("2", canvas.getAttribute("data-shapes"));
                ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()", browser.findElement(
                        By.id("region-title")));
                screenshot(browser, "region-1280.png");
                browser.findElement(By.id("apply-region")).click();
                browser.findElement(By.id("confirm-yes")).click();
                new WebDriverWait(browser, Duration.ofMinutes(3)).until(b -> b.findElement(By.id("message")).getText()
                        .startsWith("version 3 serves a don't-care region"));
                Manifest.DontCare both = modelStore.activeBundle(DemoFixture.PRODUCT).manifest().dontCare();
                assertEquals(0.5, both.coveredShare(), 0.04);
                assertEquals(2, both.polygons().size());
                assertEquals(regioned.manifest().dontCare().polygons().get(0), both.polygons().get(0),
                        "the served shape as it was written down");
                served = ImageIO.read(new ByteArrayInputStream(engineer.get(path).response().body()));
                assertEquals(0xffffff, served.getRGB(right / 4, bottom / 4) & 0xffffff);
                assertEquals(0xffffff, served.getRGB(3 * right / 4, 3 * bottom / 4) & 0xffffff);
                assertEquals(0, served.getRGB(3 * right / 4, bottom / 4) & 0xffffff);

                // a shape taken out again, then the whole frame drawn (corners near an edge land on it): refused
                // with the fit's reason, and nothing changes
                wait(browser).until(b -> "3".equals(b.findElement(By.id("region-summary")).getAttribute(
                        "data-version")) && "2".equals(canvas.getAttribute("data-shapes")));
                browser.findElement(By.cssSelector("#region-shapes li:nth-child(1) .remove-shape")).click();
                assertEquals("1", canvas.getAttribute("data-shapes"));
                browser.findElement(By.id("region-clear")).click();
                assertEquals("0", canvas.getAttribute("data-shapes"));
                for (double[] corner : new double[][] {{0.5, 0.5}, {right - 0.5, 0.5}, {right - 0.5, bottom - 0.5},
                        {0.5, bottom - 0.5}, {0.5, 0.5}}) {
                    clickAtFramePixel(browser, canvas, frame, corner[0], corner[1]);
                }
                browser.findElement(By.id("apply-region")).click();
                browser.findElement(By.id("confirm-yes")).click();
                wait(browser).until(b -> b.findElement(By.id("message")).getAttribute("class").equals("error"));
                assertTrue(browser.findElement(By.id("message")).getText().contains("nothing would be inspected"),
                        browser.findElement(By.id("message")).getText());
                assertEquals(3, modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());

                browser.findElement(By.id("remove-region")).click();
                browser.findElement(By.id("confirm-yes")).click();
                new WebDriverWait(browser, Duration.ofMinutes(3)).until(b -> b.findElement(By.id("message")).getText()
                        .contains("serves every pixel"));
                assertNull(modelStore.activeBundle(DemoFixture.PRODUCT).manifest().dontCare());
                assertEquals(4, modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());
                String leftOut = String.format(Locale.ROOT, "%.1f%%", 100 * modelStore.bundle(DemoFixture.PRODUCT, 3)
                        .manifest().dontCare().coveredShare());
                wait(browser).until(b -> b.findElements(By.cssSelector("#versions tr[data-version='4']")).size() == 1);
                assertEquals(List.of("none", leftOut), List.of(
                        browser.findElement(By.cssSelector("#versions tr[data-version='4'] td.region")).getText(),
                        browser.findElement(By.cssSelector("#versions tr[data-version='3'] td.region")).getText()));
                // serving version 3 again would bring its region back: the confirmation says so before anything
                browser.findElement(By.cssSelector("#versions tr[data-version='3'] .promote")).click();
                assertTrue(browser.findElement(By.id("confirm-text")).getText().endsWith("Its don't-care region is "
                        + "not the one served now: version 3 leaves out " + leftOut + " of the frame, version 4 counts "
                        + "every pixel."), browser.findElement(By.id("confirm-text")).getText());
                browser.findElement(By.id("confirm-no")).click();
                assertEquals(4, modelStore.activeVersion(DemoFixture.PRODUCT).orElseThrow());
                List<String> changes = engineer.get("/api/changes?product=demo").array().stream()
                        .map(c -> ((JsonObject) c).getString("action") + " by " + ((JsonObject) c).getString("who")
                                + " at the " + ((JsonObject) c).getString("door")).toList();
                assertEquals(Collections.nCopies(3, "dont-care by erin at the console"),
                        changes.stream().filter(c -> c.startsWith("dont-care")).toList());
            } finally {
                browser.quit();
            }
        }
    }

    private static List<Path> goodParts() throws Exception {
        return ImageFolders.list(DemoFixture.testSet().resolve("test/good")).subList(0, 10);
    }

    /** Scores each image as a part of the line and waits until the node keeps it; answers their result ids. */
    private static List<Long> scoredAndKept(RunningNode node, List<Path> images) throws Exception {
        List<Long> resultIds = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            long resultId = ConsoleApiTest.score(node, images.get(i), "G-" + i).getResultId();
            ResultImagesTest.awaitImage(node, resultId);
            resultIds.add(resultId);
        }
        return resultIds;
    }

    /** A click where the frame's pixel ({@code x}, {@code y}) is shown on the canvas. */
    private static void clickAtFramePixel(WebDriver browser, WebElement canvas, BufferedImage frame, double x,
            double y) {
        Dimension shown = canvas.getSize();
        // Selenium's offsets are from the element's centre
        int dx = (int) Math.round(x * shown.getWidth() / frame.getWidth() - shown.getWidth() / 2.0);
        int dy = (int) Math.round(y * shown.getHeight() / frame.getHeight() - shown.getHeight() / 2.0);
        new Actions(browser).moveToElement(canvas, dx, dy).click().perform();
    }

    private static ConsoleClient engineerApi(RunningNode node) throws Exception {
        ConsoleClient engineer = new ConsoleClient(node.server.consolePort().orElseThrow(), null);
        engineer.signIn(ConsoleApiTest.ENGINEER, ConsoleApiTest.ENGINEER_PASSWORD);
        return engineer;
    }

    /** How many of the product's results in the journal would change evaluation at {@code threshold}. */
    private static int changesAt(RunningNode node, double threshold, double reviewFrom) {
        List<InspectionRecord> results = ResultsGrpc.newBlockingStub(node.channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS).listResults(ListResultsRequest.newBuilder()
                        .setFilter(ResultFilter.newBuilder().setProduct(DemoFixture.PRODUCT)).setPageSize(1000).build())
                .getResultsList();
        return (int) results.stream().filter(r -> {
            Evaluation at = r.getRawScore() >= threshold ? Evaluation.NOT_OK
                    : reviewFrom < threshold && r.getRawScore() >= reviewFrom ? Evaluation.NOT_DECIDABLE
                    : Evaluation.OK;
            return at != r.getEvaluation();
        }).count();
    }

    /** Moves the slider as a person would drag it (the value, then the input event); returns what it holds. */
    private static double setSlider(WebDriver browser, double value) {
        return ((Number) ((JavascriptExecutor) browser).executeScript("const s = document.getElementById("
                + "'threshold-slider'); s.value = String(arguments[0]); s.dispatchEvent(new Event('input'));"
                + "return Number(s.value);", value)).doubleValue();
    }

    private static void signIn(WebDriver browser, String account, String password) {
        wait(browser).until(b -> b.findElement(By.id("sign-in")).isDisplayed());
        browser.findElement(By.id("account-name")).sendKeys(account);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        wait(browser).until(b -> b.findElement(By.id("console")).isDisplayed());
        assertEquals(account, browser.findElement(By.id("account")).getText());
    }

    /** The page's bytes over the wire and its first contentful paint, from the browser's own timings. */
    private static Map<?, ?> pageLoad(WebDriver browser) {
        wait(browser).until(b -> b.findElement(By.id("sign-in")).isDisplayed());
        return (Map<?, ?>) ((JavascriptExecutor) browser).executeScript("const nav = performance"
                + ".getEntriesByType('navigation')[0]; const resources = performance.getEntriesByType('resource');"
                + "const paint = performance.getEntriesByName('first-contentful-paint')[0];"
                + "return {transferredBytes: resources.reduce((n, r) => n + r.transferSize, nav.transferSize),"
                + " decodedBytes: resources.reduce((n, r) => n + r.decodedBodySize, nav.decodedBodySize),"
                + " requests: resources.length + 1, firstContentfulPaintMs: paint ? Math.round(paint.startTime) : -1,"
                + " domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd)};");
    }

    /** Debian's chromium and chromium-driver: CI installs them; elsewhere the test is skipped without them. */
    private static void requireChromium() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                    "Debian's chromium and chromium-driver are not installed");
        }
        Files.createDirectories(OUT);
    }

    private static WebDriver chromium(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // the node's certificate is issued by the test's own CA
        options.setAcceptInsecureCerts(true);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1100", "--user-data-dir=" + profile, "--no-first-run");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private static WebDriverWait wait(WebDriver browser) {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    private static void screenshot(WebDriver browser, String name) throws Exception {
        Files.write(OUT.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
