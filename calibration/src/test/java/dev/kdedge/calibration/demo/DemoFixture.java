package dev.kdedge.calibration.demo;

import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.store.AtomicFiles;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo product ({@value DemoProduct#DEFAULT_IMAGES} images), fitted once per test JVM and shared by every test
 * that needs a fitted product: a fit takes about half a minute on 2 cores, and fitting it per class once made up a
 * sixth of the suite. Tests that change the store work on {@link #copyOfStore a copy}. Deleted when the JVM exits.
 * The node's tests use it too (this module's test jar).
 */
public final class DemoFixture {
    public static final String PRODUCT = "demo";
    private static Path root;
    private static ProductBundle bundle;

    private DemoFixture() {}

    private static synchronized Path root() throws Exception {
        if (root == null) {
            Path dir = Files.createTempDirectory("kdedge-demo-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    AtomicFiles.deleteTree(dir);
                } catch (IOException e) {
                    System.err.println("could not delete the test demo store " + dir + ": " + e);
                }
            }));
            bundle = DemoProduct.create(new ModelStore(dir.resolve("store")), dir.resolve("work"), PRODUCT, null,
                    DemoProduct.DEFAULT_IMAGES, FitProgress.NONE);
            root = dir;
        }
        return root;
    }

    /** The fitted version 1, as the fit returned it. */
    public static ProductBundle bundle() throws Exception {
        root();
        return bundle;
    }

    /** The store holding the demo product; read-only to tests. */
    public static Path store() throws Exception {
        return root().resolve("store");
    }

    /** The fit's work folder: the generated normals ({@code normal/}), the test set and the samples. */
    public static Path work() throws Exception {
        return root().resolve("work");
    }

    /** The demo's MVTec-layout test set, with masks. */
    public static Path testSet() throws Exception {
        return DemoProduct.testSet(work());
    }

    public static Path sampleGood() throws Exception {
        return DemoProduct.sampleGood(work());
    }

    public static Path sampleDefect() throws Exception {
        return DemoProduct.sampleDefect(work());
    }

    /** A private copy of the demo store at {@code target}, for a test that changes it. */
    public static Path copyOfStore(Path target) throws Exception {
        copyTree(store(), target);
        return target;
    }

    /**
     * A private copy of the demo store with a second product, {@code product}: the demo's version 1 under another
     * name (a product of its own to the node, with the same teacher and student).
     */
    public static Path copyOfStoreWithSecondProduct(Path target, String product) throws Exception {
        copyOfStore(target);
        copyTree(target.resolve("products").resolve(PRODUCT), target.resolve("products").resolve(product));
        Path manifest = target.resolve("products").resolve(product).resolve("versions/1/manifest.json");
        Files.writeString(manifest, Files.readString(manifest)
                .replace("\"product\" : \"" + PRODUCT + "\"", "\"product\" : \"" + product + "\""));
        return target;
    }

    private static void copyTree(Path source, Path target) throws IOException {
        try (var paths = Files.walk(source)) {
            for (Path p : paths.toList()) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
    }
}
