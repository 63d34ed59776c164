package dev.kdedge.node;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoProduct;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.store.AtomicFiles;
import dev.kdedge.calibration.store.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The demo product, fitted once per test JVM (about half a minute), shared by the node's tests, deleted at exit. */
final class DemoStore {
    static final String PRODUCT = "demo";
    private static Path root;

    private DemoStore() {}

    static synchronized Path root() throws Exception {
        if (root == null) {
            Path dir = Files.createTempDirectory("kdedge-demo-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    AtomicFiles.deleteTree(dir);
                } catch (IOException e) {
                    System.err.println("could not delete the test demo store " + dir + ": " + e);
                }
            }));
            DemoProduct.create(new ModelStore(dir.resolve("store")), dir.resolve("work"), PRODUCT, null,
                    DemoProduct.DEFAULT_IMAGES,
                    FitProgress.NONE);
            root = dir;
        }
        return root;
    }

    /** A private copy of the demo store, for tests that change it. */
    static Path copyOfStore(Path target) throws Exception {
        copyTree(store(), target);
        return target;
    }

    /**
     * A private copy of the demo store with a second product, {@code product}: the demo's version 1 under another
     * name (a product of its own to the node, with the same teacher and student).
     */
    static Path copyOfStoreWithSecondProduct(Path target, String product) throws Exception {
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

    static Path store() throws Exception {
        return root().resolve("store");
    }

    /** The demo's MVTec-layout test set, with masks. */
    static Path testSet() throws Exception {
        return DemoProduct.testSet(root().resolve("work"));
    }

    /** A Score request for the demo product with {@code image}'s encoded bytes. */
    static ScoreRequest scoreRequest(Path image) throws Exception {
        return ScoreRequest.newBuilder().setProduct(PRODUCT)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(Files.readAllBytes(image)))).build();
    }

    static Path sampleGood() throws Exception {
        return DemoProduct.sampleGood(root().resolve("work"));
    }

    static Path sampleDefect() throws Exception {
        return DemoProduct.sampleDefect(root().resolve("work"));
    }
}
