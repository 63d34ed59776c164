package dev.kdedge.calibration.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
    @TempDir
    Path root;

    private ModelStore store;
    private String teacherSha;

    @BeforeEach
    void setUp() throws Exception {
        store = new ModelStore(root);
        Path teacher = Files.write(root.resolve("teacher.onnx"), new byte[] {1, 2, 3});
        teacherSha = store.installTeacher(teacher);
    }

    private Manifest manifest(String product, int version) {
        return manifest(product, version, Preprocessing.imagenet(Extent.square(64)));
    }

    private Manifest manifest(String product, int version, Preprocessing preprocessing) {
        return new Manifest(Manifest.FORMAT, product, version, "stfpm", java.util.Map.of("combine", "product"),
                "2026-01-01T00:00:00Z",
                new Manifest.Teacher(teacherSha, List.of("layer1"), List.of(8)),
                new Manifest.Student("student.onnx", "x", "resnet18-layer3", 8, List.of("layer1")),
                preprocessing,
                Manifest.Threshold.of(ThresholdPolicy.targetFalseRejectRate(0.01), "held-out-normals", 3,
                        new ScoreCalibration(1, 0, 2, 0, 3), null, null, null),
                new Manifest.Training(10, "d", 1, TrainingRecipe.sgd(0.4f, 0.9f, 1e-4f, 32, 100), 1, List.of(1.0),
                        List.of(1.0), 0), null, null, null, null, null, null);
    }

    private ProductBundle write(String product) throws Exception {
        return store.writeVersion(product, (dir, version) -> {
            Files.write(dir.resolve("student.onnx"), new byte[] {4, 5});
            return manifest(product, version);
        });
    }

    @Test
    void versionsAreNumberedAndActivationIsExplicit() throws Exception {
        assertEquals(1, write("tile").version());
        assertEquals(2, write("tile").version());
        assertEquals(List.of(1, 2), store.versions("tile"));
        assertTrue(store.activeVersion("tile").isEmpty());
        assertThrows(UnknownProductException.class, () -> store.activeBundle("tile"));
        store.activate("tile", 2);
        assertEquals(2, store.activeBundle("tile").version());
        assertEquals(List.of("tile"), store.products());
    }

    @Test
    void anInputWiderThanTallIsKeptAndVersionsWrittenBeforeReadAsSquare() throws Exception {
        Preprocessing wide = Preprocessing.imagenet(new Extent(512, 224));
        ProductBundle written = store.writeVersion("line", (dir, version) -> {
            Files.write(dir.resolve("student.onnx"), new byte[] {4, 5});
            return manifest("line", version, wide);
        });
        assertEquals(wide, store.bundle("line", written.version()).manifest().preprocessing());

        // a manifest from before inputs could be other than square names one side, "size"
        Path file = written.directory().resolve(Manifest.FILE);
        String json = Files.readString(file);
        String sides = "\"width\" : 512,\n    \"height\" : 224,";
        assertTrue(json.contains(sides), json);
        Files.writeString(file, json.replace(sides, "\"size\" : 256,"));
        assertEquals(Preprocessing.imagenet(Extent.square(256)),
                store.bundle("line", written.version()).manifest().preprocessing());
    }

    @Test
    void manifestsOfEarlierFormatsAreReadAndOfLaterOnesRefusedNamingTheUpgrade() throws Exception {
        ProductBundle written = write("tile");
        Path file = written.directory().resolve(Manifest.FILE);
        String json = Files.readString(file);
        String format = "\"format\" : " + Manifest.FORMAT + ",";
        assertTrue(json.contains(format), json);

        Files.writeString(file, json.replace(format, "\"format\" : 1,"));
        assertEquals(1, store.bundle("tile", written.version()).manifest().format());

        Files.writeString(file, json.replace(format, "\"format\" : " + (Manifest.FORMAT + 1) + ","));
        StoreException refused = assertThrows(StoreException.class, () -> store.bundle("tile", written.version()));
        assertTrue(refused.getMessage().contains("written by a newer KD-Edge; upgrade this one"),
                refused.getMessage());
    }

    /**
     * Changes to a product from two threads of one process wait for each other, as two processes' do: a promote while
     * a fine-tune's version is being written, or a second version, was refused by the file lock (a second lock from the
     * same JVM throws OverlappingFileLockException) and lost the second fit's work.
     */
    @Test
    void aChangeWaitsWhileAnotherThreadOfThisProcessWritesAVersion() throws Exception {
        write("tile");
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<ProductBundle> slow = writtenOnRelease("tile", writing, release);
        writing.await();
        CompletableFuture<Integer> activated = new CompletableFuture<>();
        CompletableFuture<ProductBundle> next = new CompletableFuture<>();
        // the node and a fit may each hold a store of the same root
        Thread promote = new Thread(() -> complete(activated, () -> {
            new ModelStore(root).activate("tile", 1);
            return 1;
        }));
        Thread second = new Thread(() -> complete(next, () -> write("tile")));
        promote.start();
        second.start();
        for (Thread t : List.of(promote, second)) {
            // parked on the lock (a promote waits with a time limit), or done, as they were without it
            while (!Set.of(Thread.State.WAITING, Thread.State.TIMED_WAITING, Thread.State.TERMINATED)
                    .contains(t.getState())) {
                Thread.sleep(1);
            }
        }
        assertFalse(activated.isDone() || next.isDone(), "both wait for the version being written");
        release.countDown();
        assertEquals(2, slow.get().version());
        assertEquals(1, activated.get());
        assertEquals(3, next.get().version());
        assertEquals(1, store.activeVersion("tile").orElseThrow());
    }

    /** A promote that would wait longer than the store's patience is refused, saying why, and nothing changes. */
    @Test
    void aPromoteWaitingLongerThanItsPatienceIsRefusedSayingWhy() throws Exception {
        write("tile");
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<ProductBundle> slow = writtenOnRelease("tile", writing, release);
        writing.await();
        ModelStore impatient = new ModelStore(root, Duration.ofMillis(50));
        StoreException refused = assertThrows(StoreException.class, () -> impatient.activate("tile", 1));
        assertTrue(refused.getMessage().startsWith("tile is being changed: a new version of it is being written"),
                refused.getMessage());
        assertTrue(store.activeVersion("tile").isEmpty());
        release.countDown();
        assertEquals(2, slow.get().version());
        impatient.activate("tile", 1);
        assertEquals(1, store.activeVersion("tile").orElseThrow());
    }

    /** A version of {@code product} written on a thread of its own, which holds the write until {@code release}. */
    private CompletableFuture<ProductBundle> writtenOnRelease(String product, CountDownLatch writing,
            CountDownLatch release) {
        CompletableFuture<ProductBundle> written = new CompletableFuture<>();
        new Thread(() -> complete(written, () -> store.writeVersion(product, (dir, version) -> {
            writing.countDown();
            release.await();
            Files.write(dir.resolve("student.onnx"), new byte[] {4, 5});
            return manifest(product, version);
        }))).start();
        return written;
    }

    private static <T> void complete(CompletableFuture<T> result, Callable<T> action) {
        try {
            result.complete(action.call());
        } catch (Exception e) {
            result.completeExceptionally(e);
        }
    }

    @Test
    void aFailedWriteLeavesNoVersionAndNoStaging() throws Exception {
        assertThrows(StoreException.class, () -> store.writeVersion("tile", (dir, version) -> {
            Files.write(dir.resolve("student.onnx"), new byte[] {4, 5});
            throw new Exception("parity check failed");
        }));
        assertEquals(List.of(), store.versions("tile"));
        try (var entries = Files.list(root.resolve("products/tile/versions"))) {
            assertEquals(0, entries.count(), "staging directory left behind");
        }
    }

    @Test
    void stagingLeftByACrashIsInvisibleAndSwept() throws Exception {
        write("tile");
        Path leftover = Files.createDirectories(root.resolve("products/tile/versions/.staging-2-crashed"));
        Files.write(leftover.resolve("student.onnx"), new byte[] {9});
        assertEquals(List.of(1), store.versions("tile"));
        store.sweepStaging();
        assertTrue(Files.notExists(leftover));
        assertEquals(2, write("tile").version());
    }

    @Test
    void activatingAMissingOrBrokenVersionIsRefused() throws Exception {
        write("tile");
        assertThrows(StoreException.class, () -> store.activate("tile", 7));
        Files.delete(root.resolve("products/tile/versions/1/student.onnx"));
        var e = assertThrows(StoreException.class, () -> store.activate("tile", 1));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void rollbackReturnsToTheVersionsActiveBefore() throws Exception {
        write("tile");
        write("tile");
        write("tile");
        assertThrows(StoreException.class, () -> store.rollback("tile"), "nothing was ever active");
        store.activate("tile", 1);
        store.activate("tile", 2);
        store.activate("tile", 2);
        store.activate("tile", 3);
        assertEquals(List.of(2, 1), store.previousActiveVersions("tile"));
        assertEquals(2, store.rollback("tile"));
        assertEquals(2, store.activeVersion("tile").getAsInt());
        assertEquals(1, store.rollback("tile"));
        var e = assertThrows(StoreException.class, () -> store.rollback("tile"));
        assertTrue(e.getMessage().contains("no earlier active version"), e.getMessage());
        assertEquals(1, store.activeVersion("tile").getAsInt());
    }

    @Test
    void uploadsAreKeptOncePerContentAndTemporaryFilesAreSwept() throws Exception {
        assertTrue(store.storeUpload("tile", ModelStore.UploadKind.NORMAL, new byte[] {1, 2}, "png"));
        assertFalse(store.storeUpload("tile", ModelStore.UploadKind.NORMAL, new byte[] {1, 2}, "png"));
        assertTrue(store.storeUpload("tile", ModelStore.UploadKind.DEFECT, new byte[] {1, 2}, "png"));
        Path normals = root.resolve("products/tile/uploads/normals");
        Path crashed = Files.write(normals.resolve(".x.png.tmp-crashed"), new byte[] {7});
        assertEquals(1, store.uploads("tile", ModelStore.UploadKind.NORMAL).size(), "temporary files are invisible");
        assertEquals(Digests.sha256(new byte[] {1, 2}) + ".png",
                store.uploads("tile", ModelStore.UploadKind.NORMAL).get(0).getFileName().toString());
        store.sweepStaging();
        assertTrue(Files.notExists(crashed));
        assertEquals(1, store.uploads("tile", ModelStore.UploadKind.DEFECT).size());
    }

    @Test
    void thresholdPolicyDefaultsAndPersists() throws Exception {
        assertEquals(ThresholdPolicy.DEFAULT, store.thresholdPolicy("tile"));
        store.setThresholdPolicy("tile", ThresholdPolicy.fixed(0.42));
        assertEquals(ThresholdPolicy.fixed(0.42), new ModelStore(root).thresholdPolicy("tile"));
        assertThrows(IllegalArgumentException.class, () -> ThresholdPolicy.targetFalseRejectRate(0.9));
    }

    @Test
    void productIdsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> ModelStore.requireValidProductId("../etc"));
        assertThrows(IllegalArgumentException.class, () -> ModelStore.requireValidProductId(""));
        ModelStore.requireValidProductId("tile-7.b_2");
    }

    /**
     * On a real file system that fills up: uploads are kept until one does not fit, which is refused as "full" with
     * what to do; nothing is left under a final name that does not hold its whole content, and no temporary file is
     * left behind. Other writes (a threshold policy) say the same.
     */
    @Test
    void aFullFileSystemKeepsNothingIncompleteAndSaysWhatToDo() throws Exception {
        try (SmallFileSystem disk = SmallFileSystem.mount(root.resolve("small"), 1024 * 1024)) {
            ModelStore small = new ModelStore(disk.root());
            java.util.Random random = new java.util.Random(1);
            int kept = 0;
            StoreFullException full = null;
            for (int i = 0; i < 20 && full == null; i++) {
                byte[] image = new byte[300_000];
                random.nextBytes(image);
                try {
                    assertTrue(small.storeUpload("tile", ModelStore.UploadKind.NORMAL, image, "png"));
                    kept++;
                } catch (StoreFullException e) {
                    full = e;
                }
            }
            assertTrue(full != null, "1 MiB held " + kept + " uploads of 300 kB");
            assertEquals(3, kept);
            assertTrue(full.getMessage().contains("file system is full") && full.getMessage().contains("Free space"),
                    full.getMessage());
            List<Path> uploads = small.uploads("tile", ModelStore.UploadKind.NORMAL);
            assertEquals(kept, uploads.size());
            for (Path upload : uploads) {
                assertEquals(Digests.sha256(upload) + ".png", upload.getFileName().toString());
            }
            try (var files = Files.list(uploads.get(0).getParent())) {
                assertEquals(kept, files.count(), "no temporary file is left");
            }
            assertTrue(small.setAsideDamagedUploads("tile").isEmpty());

            byte[] filler = new byte[(int) disk.usableBytes()];
            Files.write(disk.root().resolve("filler"), filler);
            assertThrows(StoreFullException.class, () -> small.setThresholdPolicy("tile", ThresholdPolicy.DEFAULT));
            assertFalse(Files.exists(disk.root().resolve("products/tile/threshold-policy.json")));
        }
    }

    /** A normal an earlier build kept cut short under its whole content's name is set aside, not trained on. */
    @Test
    void anUploadWhoseContentDoesNotMatchItsNameIsSetAside() throws Exception {
        assertTrue(store.storeUpload("tile", ModelStore.UploadKind.NORMAL, new byte[] {1, 2, 3}, "png"));
        byte[] whole = {4, 5, 6, 7};
        Path truncated = root.resolve("products/tile/uploads/normals/" + Digests.sha256(whole) + ".png");
        Files.write(truncated, new byte[] {4, 5});
        assertEquals(2, store.uploads("tile", ModelStore.UploadKind.NORMAL).size());

        assertEquals(List.of(truncated), store.setAsideDamagedUploads("tile"));
        assertEquals(1, store.uploads("tile", ModelStore.UploadKind.NORMAL).size());
        assertTrue(Files.exists(root.resolve("products/tile/uploads/damaged/normals/" + truncated.getFileName())));
        assertTrue(store.storeUpload("tile", ModelStore.UploadKind.NORMAL, whole, "png"), "the image can be sent again");
    }
}
