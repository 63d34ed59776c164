package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.JobEvent;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.SetThresholdPolicyRequest;
import dev.kdedge.api.v1.StartFineTuneRequest;
import dev.kdedge.api.v1.ThresholdPolicy;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.store.SmallFileSystem;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store on a real file system that fills up, over gRPC: uploads are kept until the disk is full, then refused
 * with RESOURCE_EXHAUSTED saying what to do, while the line keeps being scored; once the store has room again (here:
 * moved to a larger file system), every kept normal matches its name and a fine-tune trains on them.
 */
class FullDiskTest {
    @TempDir
    Path dir;

    @Test
    void aFullStoreRefusesWritesSayingSoKeepsScoringAndKeepsNothingDamaged() throws Exception {
        long storeBytes;
        try (Stream<Path> files = Files.walk(DemoFixture.store())) {
            storeBytes = files.filter(Files::isRegularFile).mapToLong(f -> (f.toFile().length() / 4096 + 1) * 4096)
                    .sum();
        }
        int kept = 0;
        try (SmallFileSystem disk = SmallFileSystem.mount(dir.resolve("small"), storeBytes + 2 * 1024 * 1024)) {
            Path store = DemoFixture.copyOfStore(disk.root().resolve("store"));
            try (RunningNode node = new RunningNode(store, c -> c.models.enabled = true)) {
                StatusRuntimeException full = null;
                for (int i = 0; full == null && i < 500; i++) {
                    List<UploadRequest> one = ModelsApiTest.normals(1, 9000 + i);
                    try {
                        ModelsApiTest.upload(node.channel, one);
                        kept++;
                    } catch (StatusRuntimeException e) {
                        full = e;
                    }
                }
                assertTrue(full != null, kept + " uploads and the disk never filled");
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, full.getStatus().getCode(), full.getStatus().toString());
                assertTrue(full.getStatus().getDescription().contains("file system is full"),
                        full.getStatus().getDescription());

                // the refused upload's pages were given back: take them, so the small write below does not fit
                Files.write(disk.root().resolve("filler"), new byte[(int) disk.usableBytes()]);
                ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(node.channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS);
                StatusRuntimeException policy = assertThrows(StatusRuntimeException.class,
                        () -> models.setThresholdPolicy(SetThresholdPolicyRequest.newBuilder()
                                .setProduct(DemoFixture.PRODUCT)
                                .setPolicy(ThresholdPolicy.newBuilder().setFixedThreshold(0.5)).build()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, policy.getStatus().getCode());
                assertEquals(DemoFixture.PRODUCT, InspectionGrpc.newBlockingStub(node.channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).getVerdict().getProduct(),
                        "the line is still scored");
            }
            DemoFixture.copyOfStore(dir.resolve("grown"));
            copyUploads(store, dir.resolve("grown"));
        }

        Path grown = dir.resolve("grown");
        List<Path> normals;
        try (Stream<Path> files = Files.list(grown.resolve("products/demo/uploads/normals"))) {
            normals = files.toList();
        }
        assertEquals(kept, normals.size());
        for (Path normal : normals) {
            assertEquals(Digests.sha256(normal) + ".png", normal.getFileName().toString());
        }
        try (RunningNode node = new RunningNode(grown, c -> c.models.enabled = true)) {
            ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            assertEquals(kept, models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()).getUploadedNormals());
            Job job = models.startFineTune(StartFineTuneRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setEpochs(1).build());
            List<JobEvent> events = ModelsApiTest.watch(node, job.getJobId(), e -> {});
            assertTrue(events.get(events.size() - 1).hasDone(), events.toString());
        }
    }

    private static void copyUploads(Path from, Path to) throws Exception {
        Path source = from.resolve("products/demo/uploads");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path target = to.resolve("products/demo/uploads").resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }
}
