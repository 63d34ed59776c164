package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerting rules the README offers ({@code edge-config/prometheus-rules.yml}) are valid and fire as they say:
 * Prometheus's own promtool (Debian's prometheus package) checks them and runs {@code src/test/prometheus/rules-test.yml}
 * against them (a product drifting past 0.3 for 30 minutes alerts, a steady one does not; a failing journal alerts).
 */
class PrometheusRulesTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @TempDir
    Path dir;

    @Test
    void theShippedAlertingRulesFireWhenTheySay() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(PROMTOOL), "Debian's prometheus package is not installed");
        }
        Files.copy(Path.of(System.getProperty("kdedge.edgeConfig"), "prometheus-rules.yml"),
                dir.resolve("prometheus-rules.yml"));
        Files.copy(Path.of("src/test/prometheus/rules-test.yml"), dir.resolve("rules-test.yml"));
        promtool("check", "rules", "prometheus-rules.yml");
        promtool("test", "rules", "rules-test.yml");
    }

    private String promtool(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = PROMTOOL.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        process.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
        return output;
    }
}
