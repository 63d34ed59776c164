package dev.kdedge.cli.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.structure.PackageCycles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI's packages import one another one way only; the report knows nothing of nodes or commands. */
class CliPackageCyclesTest {
    @Test
    void theCliHasNoPackageCycle() throws Exception {
        PackageCycles graph = PackageCycles.of(Path.of("src/main/java"));
        assertEquals(4, graph.packages(), "read " + graph.packages() + " packages");
        assertEquals(List.of(), graph.cycles());
        assertEquals(List.of(), graph.importsOf("dev.kdedge.cli.report").stream()
                .filter(pkg -> pkg.startsWith("dev.kdedge.cli")).toList(), "the report reads no other CLI package");
    }
}
