package dev.kdedge.calibration.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's packages import one another one way only (ARCHITECTURE.md: no package cycles). */
class PackageCyclesTest {
    @Test
    void theLibraryHasNoPackageCycle() throws Exception {
        PackageCycles graph = PackageCycles.of(Path.of("src/main/java"));
        assertTrue(graph.packages() > 10, "read " + graph.packages() + " packages");
        assertEquals(List.of(), graph.cycles());
    }

    @Test
    void aCycleIsFoundAndNamed(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("a/A.java"), "package dev.kdedge.a;\n\nimport dev.kdedge.b.B;\n\nclass A {}\n");
        Files.writeString(dir.resolve("b/B.java"), "package dev.kdedge.b;\n\nimport dev.kdedge.a.A;\n\nclass B {}\n");
        assertEquals(List.of("dev.kdedge.a -> dev.kdedge.b, dev.kdedge.b -> dev.kdedge.a"),
                PackageCycles.of(dir).cycles());
    }
}
