package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.api.v1.GetJobRequest;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.JobEvent;
import dev.kdedge.api.v1.JobState;
import dev.kdedge.api.v1.ListJobsRequest;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.StartFineTuneRequest;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.api.v1.UploadSummary;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.store.CrashPoints;
import dev.kdedge.calibration.store.ModelStore;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kdedge-node process (its own JVM) stopped dead in the middle of each store write, then restarted on the same
 * store: during an upload (after the 20th image of a stream), during training (SIGKILL), with a new version complete in
 * its staging directory, and inside a Promote's write of ACTIVE both before and after the rename. The instants inside
 * the writes are {@link CrashPoints}, so every run stops at the same place on any machine. After each restart the
 * store is consistent, the right version serves, no partial version or image is visible, every acknowledged upload is
 * there, and a job that was running is reported failed with its reason.
 */
class CrashSafetyTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void stoppedInsideEveryWriteTheNodeRestartsOnAConsistentStore() throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        Path config = Files.writeString(dir.resolve("node.yaml"), "server:\n  host: 127.0.0.1\n  plaintext: true\nmetrics:\n  enabled: false\nmodels:\n  enabled: true\n");
        Path normals = store.resolve("products/demo/uploads/normals");

        // 1. Stopped during an upload stream, right after its 20th image was stored: the 12 acknowledged before and
        //    those 20 are there, nothing else, nothing half-written.
        List<UploadRequest> acknowledged = ModelsApiTest.normals(12, 100);
        try (NodeProcess node = new NodeProcess(config, store, CrashPoints.UPLOAD_STORED + "#32")) {
            UploadSummary summary = ModelsApiTest.upload(node.channel, acknowledged);
            assertEquals(12, summary.getAccepted());
            StreamObserver<UploadRequest> stream = ModelsGrpc.newStub(node.channel).uploadNormals(NodeProcess.ignoring());
            for (UploadRequest image : ModelsApiTest.normals(200, 1000)) {
                stream.onNext(image);
            }
            node.awaitCrashPoint();
        }
        try (NodeProcess node = new NodeProcess(config, store, null)) {
            Set<String> kept = ModelStoreChecks.consistent(store);
            assertEquals(32, count(normals));
            for (UploadRequest image : acknowledged) {
                assertTrue(kept.contains(Digests.sha256(image.getImage().getEncoded().toByteArray())),
                        "an acknowledged upload is missing");
            }
            assertEquals("1", node.score());

            // 2. Killed during training.
            Job training = node.models().startFineTune(StartFineTuneRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).setEpochs(100).build());
            node.waitForEvent(training, JobEvent::hasEpoch);
            node.kill();
        }
        String trainingJob;
        try (NodeProcess node = new NodeProcess(config, store, CrashPoints.VERSION_STAGED)) {
            Job failed = node.models().listJobs(ListJobsRequest.getDefaultInstance()).getJobs(0);
            trainingJob = failed.getJobId();
            assertEquals(JobState.FAILED, failed.getState());
            assertTrue(failed.getReason().contains("the node stopped while this job was running"), failed.getReason());
            ModelStoreChecks.consistent(store);
            assertEquals(List.of(1), new ModelStore(store).versions(DemoFixture.PRODUCT));
            assertEquals("1", node.score());

            // 3. Stopped with the new version complete in its staging directory, before the rename publishes it.
            node.models().startFineTune(StartFineTuneRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setEpochs(1)
                    .build());
            node.awaitCrashPoint();
        }
        int promoted;
        try (NodeProcess node = new NodeProcess(config, store, "ACTIVE-written")) {
            ModelStoreChecks.consistent(store);
            assertEquals(List.of(1), new ModelStore(store).versions(DemoFixture.PRODUCT), "a staged version was published");
            assertEquals(JobState.FAILED, node.models().getJob(GetJobRequest.newBuilder().setJobId(trainingJob).build())
                    .getState(), "the record of the earlier job survived a second restart");
            assertEquals("1", node.score());

            // 4. A Promote stopped inside its write of ACTIVE: the new list is flushed, not yet renamed over the old.
            Job complete = node.models().startFineTune(StartFineTuneRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).setEpochs(1).build());
            JobEvent done = node.waitForEvent(complete, e -> e.hasDone() || e.hasFailed());
            assertTrue(done.hasDone(), done.toString());
            promoted = done.getDone().getVersion();
            node.promoteAndAwaitCrashPoint(promoted);
        }
        try (NodeProcess node = new NodeProcess(config, store, "ACTIVE-renamed")) {
            ModelStoreChecks.consistent(store);
            assertEquals(1, node.activeVersion(), "a Promote stopped before its rename changed the active version");
            assertEquals("1", node.score());

            // 5. The same Promote stopped after the rename, before the directory was flushed.
            node.promoteAndAwaitCrashPoint(promoted);
        }
        try (NodeProcess node = new NodeProcess(config, store, null)) {
            ModelStoreChecks.consistent(store);
            assertEquals(promoted, node.activeVersion(), "a Promote stopped after its rename was lost");
            assertEquals(Integer.toString(promoted), node.score());
            assertEquals(List.of(1), new ModelStore(store).previousActiveVersions(DemoFixture.PRODUCT),
                    "the version to roll back to");
        }
    }

    private static List<String> list(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long count(Path folder) {
        return list(folder).stream().filter(n -> !n.startsWith(".")).count();
    }


    /** What a consistent store looks like from the outside. */
    static final class ModelStoreChecks {
        /** @return the content hashes of the uploaded normals, each checked against its file */
        static Set<String> consistent(Path root) throws IOException {
            ModelStore store = new ModelStore(root);
            for (String product : store.products()) {
                for (int version : store.versions(product)) {
                    store.bundle(product, version);
                }
                store.activeBundle(product);
                try (Stream<Path> entries = Files.list(root.resolve("products").resolve(product).resolve("versions"))) {
                    assertEquals(List.of(), entries.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith(".")).toList(), "staging left visible after restart");
                }
            }
            List<Path> normals = store.uploads(DemoFixture.PRODUCT, ModelStore.UploadKind.NORMAL);
            for (Path image : normals) {
                String name = image.getFileName().toString();
                assertEquals(name.substring(0, name.indexOf('.')), Digests.sha256(image), "partial image " + name);
            }
            return normals.stream().map(p -> p.getFileName().toString().replaceFirst("\\..*$", ""))
                    .collect(Collectors.toSet());
        }
    }
}
