package dev.kdedge.calibration.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blur RD4AD's map is held to, against SciPy's {@code gaussian_filter} itself (Debian's python3-scipy; skipped on
 * a developer's machine without it, required under CI): a plane narrower than the kernel's reach tests the reflect
 * border where it repeats.
 */
class GaussianBlurTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    @Test
    void kernelIsScipysThirtyThreeTapsForSigmaFour() {
        GaussianBlur blur = new GaussianBlur(4);
        assertEquals(16, blur.radius());
        float[] kernel = blur.kernel();
        assertEquals(33, kernel.length);
        double sum = 0;
        for (float w : kernel) {
            sum += w;
        }
        assertEquals(1, sum, 1e-6);
        assertArrayEquals(new int[] {1, 0, 0, 1, 2, 2, 1}, new GaussianBlur(0.5).paddedIndices(3), "radius 2, n 3");
    }

    @Test
    void matchesScipyGaussianFilter() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(PYTHON) && new ProcessBuilder(PYTHON.toString(), "-c", "import scipy")
                    .start().waitFor() == 0, "python3-scipy is not installed");
        }
        Random random = new Random(3);
        for (int[] size : new int[][] {{40, 24}, {12, 9}}) {
            int width = size[0];
            int height = size[1];
            float[] plane = new float[width * height];
            for (int i = 0; i < plane.length; i++) {
                plane[i] = (float) random.nextDouble() * (i % 7 == 0 ? 5 : 1);
            }
            Path fixture = dir.resolve("plane.json");
            new ObjectMapper().writeValue(fixture.toFile(),
                    Map.of("sigma", 4, "width", width, "height", height, "plane", plane));
            Process python = new ProcessBuilder(PYTHON.toString(),
                    Path.of(System.getProperty("kdedge.testPython"), "reference_blur.py").toString(),
                    fixture.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String output = new String(python.getInputStream().readAllBytes());
            python.waitFor(60, TimeUnit.SECONDS);
            assertEquals(0, python.exitValue(), output);
            double[] expected = new ObjectMapper().readValue(output, double[].class);
            float[] blurred = new GaussianBlur(4).apply(plane, width, height);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], blurred[i], 1e-6, width + "x" + height + " at " + i);
            }
        }
    }
}
