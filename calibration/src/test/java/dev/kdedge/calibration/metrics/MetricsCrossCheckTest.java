package dev.kdedge.calibration.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metric code against independent implementations: scikit-learn (Debian's python3-sklearn) for image AUROC, the
 * F1-optimal threshold and pixel AUROC, scipy's two-sample Kolmogorov-Smirnov statistic, and scipy labelling plus numpy integration for PRO (both MVTec's and the
 * STFPM code's), on random fixtures with
 * ties, several defect regions per image and maps that are not square. Without those packages the test is skipped
 * on a developer's machine and fails under CI, where .ci/run installs them.
 */
class MetricsCrossCheckTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final int WIDTH = 40;
    private static final int HEIGHT = 24;

    @TempDir
    Path dir;

    @Test
    void metricsAgreeWithScikitLearnAndScipy() throws Exception {
        assumeReferenceAvailable();
        Random random = new Random(7);
        int images = 300;
        double[] scores = new double[images];
        boolean[] labels = new boolean[images];
        for (int i = 0; i < images; i++) {
            labels[i] = random.nextDouble() < 0.3;
            // rounded to two decimals: many ties, across classes too
            scores[i] = Math.round((random.nextGaussian() + (labels[i] ? 1.2 : 0)) * 100) / 100.0;
        }
        List<float[]> maps = new ArrayList<>();
        List<boolean[]> masks = new ArrayList<>();
        for (int m = 0; m < 16; m++) {
            boolean[] mask = new boolean[WIDTH * HEIGHT];
            if (m % 4 != 0) {
                for (int blob = 0; blob < 1 + random.nextInt(3); blob++) {
                    int cx = random.nextInt(WIDTH);
                    int cy = random.nextInt(HEIGHT);
                    int r = 1 + random.nextInt(4);
                    for (int y = Math.max(0, cy - r); y < Math.min(HEIGHT, cy + r); y++) {
                        for (int x = Math.max(0, cx - r); x < Math.min(WIDTH, cx + r); x++) {
                            mask[y * WIDTH + x] = true;
                        }
                    }
                }
            }
            float[] map = new float[WIDTH * HEIGHT];
            for (int p = 0; p < map.length; p++) {
                map[p] = (float) (random.nextDouble() + (mask[p] ? 0.6 * random.nextDouble() : 0));
            }
            maps.add(map);
            masks.add(mask);
        }
        double maxFpr = 0.3;
        // recent scores against held-out ones: shifted, fewer, ties within and across the samples
        double[] recent = random.doubles(180).map(x -> Math.round((x + 0.15) * 50) / 50.0).toArray();
        double[] heldOut = random.doubles(61).map(x -> Math.round(x * 50) / 50.0).toArray();

        Path fixture = dir.resolve("fixture.json");
        new ObjectMapper().writeValue(fixture.toFile(), Map.of("maxFpr", maxFpr,
                "image", Map.of("scores", scores, "labels", labels),
                "pixel", Map.of("width", WIDTH, "height", HEIGHT, "maps", maps, "masks", masks),
                "ks", Map.of("a", recent, "b", heldOut)));
        Process python = new ProcessBuilder(PYTHON.toString(),
                Path.of(System.getProperty("kdedge.testPython"), "reference_metrics.py").toString(), fixture.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(python.getInputStream().readAllBytes());
        python.waitFor(120, TimeUnit.SECONDS);
        assertEquals(0, python.exitValue(), output);
        JsonNode reference = new ObjectMapper().readTree(output);

        assertEquals(reference.get("imageAuroc").asDouble(), RocCurve.auroc(scores, labels), 1e-12);
        F1Threshold f1 = F1Threshold.of(scores, labels);
        assertEquals(reference.get("f1").asDouble(), f1.f1(), 1e-12);
        assertEquals(reference.get("f1Threshold").asDouble(), f1.threshold(), 0);

        assertEquals(reference.get("ks").asDouble(), KolmogorovSmirnov.statistic(recent, heldOut), 1e-12);

        try (PixelMetrics pixels = new PixelMetrics(dir)) {
            for (int m = 0; m < maps.size(); m++) {
                pixels.add(maps.get(m), masks.get(m), WIDTH);
            }
            PixelMetrics.Result result = pixels.compute(maxFpr);
            // binned over 2^20 levels: equal to sklearn's exact value far below the fourth decimal
            assertEquals(reference.get("pixelAuroc").asDouble(), result.pixelAuroc(), 1e-6);
            assertEquals(reference.get("pro").asDouble(), result.pro(), 1e-6);
            // pixels within one bin of one of the 4000 thresholds may land on the other side of it
            assertEquals(reference.get("proAsStfpmCode").asDouble(), result.proAsStfpmCode(), 1e-4);
        }
    }

    private static void assumeReferenceAvailable() throws Exception {
        boolean available = Files.isExecutable(PYTHON) && new ProcessBuilder(PYTHON.toString(), "-c",
                "import sklearn, scipy").start().waitFor() == 0;
        if (System.getenv("CI") == null) {
            assumeTrue(available, "Debian's python3-sklearn is not installed");
        }
    }
}
