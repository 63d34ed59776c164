package dev.kdedge.node.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.structure.PackageCycles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node's packages import one another one way only; configuration is a leaf that others read. */
class NodePackageCyclesTest {
    @Test
    void theNodeHasNoPackageCycle() throws Exception {
        PackageCycles graph = PackageCycles.of(Path.of("src/main/java"));
        assertTrue(graph.packages() > 8, "read " + graph.packages() + " packages");
        assertEquals(List.of(), graph.cycles());
        assertEquals(List.of(), graph.importsOf("dev.kdedge.node.config").stream()
                .filter(pkg -> pkg.startsWith("dev.kdedge.node.")).toList(), "config reads no other node package");
    }
}
