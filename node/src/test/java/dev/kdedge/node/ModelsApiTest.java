package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.CancelJobRequest;
import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.DontCareRegion;
import dev.kdedge.api.v1.GetDontCareRegionRequest;
import dev.kdedge.api.v1.GetJobRequest;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.JobEvent;
import dev.kdedge.api.v1.JobState;
import dev.kdedge.api.v1.ListProductsRequest;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.ProductDescription;
import dev.kdedge.api.v1.MoveThresholdRequest;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.ResetThresholdRequest;
import dev.kdedge.api.v1.RollbackRequest;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.SetDontCareRegionRequest;
import dev.kdedge.api.v1.SetThresholdPolicyRequest;
import dev.kdedge.api.v1.StartFineTuneRequest;
import dev.kdedge.api.v1.ThresholdPolicy;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.api.v1.UploadSummary;
import dev.kdedge.api.v1.VersionInfo;
import dev.kdedge.api.v1.WatchJobRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.audit.Change;
import dev.kdedge.node.jobs.ThreadNice;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engineer's Models API over a real socket from grpc-java, on a private copy of the demo store: upload, fine-tune
 * while a client keeps scoring, watch, promote, roll back, cancel, threshold policy, and every refusal.
 */
class ModelsApiTest {
    private static final SyntheticTiles TILES = new SyntheticTiles(128);

    @TempDir
    Path dir;

    private RunningNode node(boolean modelsEnabled) throws Exception {
        Path store = DemoFixture.copyOfStore(dir.resolve("store"));
        return new RunningNode(store, c -> c.models.enabled = modelsEnabled);
    }

    /** The latest changes to the demo product, from the node's audit trail. */
    private List<Change> changes(int limit) throws Exception {
        try (AuditTrail audit = new AuditTrail(dir.resolve("store/audit/changes.db"))) {
            return audit.changes(DemoFixture.PRODUCT, limit);
        }
    }

    /** A stub whose every call has 60 s of its own (a stub's withDeadlineAfter is one instant for all its calls). */
    private static ModelsGrpc.ModelsBlockingStub models(RunningNode node) {
        return ModelsGrpc.newBlockingStub(node.channel).withInterceptors(new ClientInterceptor() {
            @Override
            public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options,
                    Channel next) {
                return next.newCall(method, options.withDeadlineAfter(60, TimeUnit.SECONDS));
            }
        });
    }

    private static UploadRequest image(byte[] png, String name, boolean defective) {
        return UploadRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setName(name).setDefective(defective)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(png))).build();
    }

    private static byte[] normal(long seed) {
        return HeatmapImages.png(TILES.normal(seed));
    }

    /** Streams {@code requests} through UploadNormals with the async stub and waits for the summary. */
    static UploadSummary upload(ManagedChannel channel, List<UploadRequest> requests) throws Exception {
        CompletableFuture<UploadSummary> summary = new CompletableFuture<>();
        StreamObserver<UploadRequest> stream = ModelsGrpc.newStub(channel).uploadNormals(new StreamObserver<>() {
            @Override
            public void onNext(UploadSummary value) {
                summary.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                summary.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        requests.forEach(stream::onNext);
        stream.onCompleted();
        try {
            return summary.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    static List<UploadRequest> normals(int count, long firstSeed) {
        List<UploadRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(image(normal(firstSeed + i), "normal-" + i + ".png", false));
        }
        return requests;
    }

    /** Every event of a job until it ends. */
    static List<JobEvent> watch(RunningNode node, String jobId, Consumer<JobEvent> each) {
        List<JobEvent> events = new ArrayList<>();
        ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(5, TimeUnit.MINUTES)
                .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build()).forEachRemaining(e -> {
                    events.add(e);
                    each.accept(e);
                });
        return events;
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void fineTuneAndPromoteWhileTheLineKeepsScoring() throws Exception {
        try (RunningNode node = node(true)) {
            ModelsGrpc.ModelsBlockingStub models = models(node);
            ScoringClient line = new ScoringClient(node);
            line.start();

            List<UploadRequest> uploads = new ArrayList<>(normals(24, 7000));
            uploads.add(image(new byte[] {1, 2, 3}, "broken.png", false));
            uploads.add(uploads.get(0));
            uploads.add(image(HeatmapImages.png(TILES.defective(8000).image()), "scratch-0.png", true));
            uploads.add(image(HeatmapImages.png(TILES.defective(8001).image()), "scratch-1.png", true));
            UploadSummary summary = upload(node.channel, uploads);
            assertEquals(26, summary.getAccepted());
            assertEquals(1, summary.getDuplicates());
            assertEquals(1, summary.getRejectedCount());
            assertEquals(24, summary.getRejected(0).getIndex());
            assertEquals("broken.png", summary.getRejected(0).getName());
            assertEquals(24, summary.getNormalsStored());
            assertEquals(2, summary.getDefectsStored());
            Change uploaded = changes(1).get(0);
            assertEquals(List.of("upload", "grpc", "24 normal and 2 defect images uploaded"),
                    List.of(uploaded.action(), uploaded.who().door(), uploaded.after()));

            int callsBefore = line.calls();
            Job job = models.startFineTune(StartFineTuneRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setEpochs(2).build());
            assertEquals(JobState.QUEUED, job.getState());
            try (Context.CancellableContext terminal = Context.current().withCancellation()) {
                assertTrue(terminal.call(() -> ModelsGrpc.newBlockingStub(node.channel).watchJob(WatchJobRequest
                        .newBuilder().setJobId(job.getJobId()).build())).next().hasQueued());
            } // an engineer who closes the terminal after the first event: the job's later events must go nowhere
            List<JobEvent> events = watch(node, job.getJobId(), e -> {});
            assertTrue(line.calls() - callsBefore >= 5, "the line was scored while the job ran: "
                    + (line.calls() - callsBefore) + " calls");
            assertTrue(events.get(0).hasQueued(), events.toString());
            assertEquals(List.of(1, 2), events.stream().filter(JobEvent::hasEpoch).map(e -> e.getEpoch().getEpoch()).toList());
            JobEvent parity = events.stream().filter(JobEvent::hasParityChecked).findFirst().orElseThrow();
            assertTrue(parity.getParityChecked().getMaxAbsDifference() <= 1e-4);
            JobEvent threshold = events.stream().filter(JobEvent::hasThresholdProposed).findFirst().orElseThrow();
            assertTrue(threshold.getThresholdProposed().hasF1OptimalThreshold(), "defects were uploaded");
            assertEquals(5, threshold.getThresholdProposed().getHeldOutImages());
            JobEvent last = events.get(events.size() - 1);
            assertEquals(2, last.getDone().getVersion(), events.toString());
            assertEquals(JobState.SUCCEEDED, models.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build())
                    .getState());

            ProductDescription described = models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(1, described.getActiveVersion(), "a fine-tune never activates");
            VersionInfo v2 = described.getVersions(1);
            assertEquals(1, v2.getParentVersion());
            assertEquals(19, v2.getTrainingImages());
            assertFalse(v2.getDataDigest().isEmpty());
            assertTrue(v2.hasF1OptimalThreshold());
            assertTrue(v2.hasInt8ScoreDeviation(), "the fine-tune checked an int8 variant of its own");
            assertEquals(v2.getInt8Refusal().isEmpty(), v2.getPrecisionsList().contains("int8"), v2.toString());
            assertEquals(List.of("fp32", "int8"), described.getVersions(0).getPrecisionsList());
            assertEquals(0, described.getVersions(0).getParentVersion());
            assertEquals("1", line.lastVersion());
            assertEquals("2", score(node, 2), "a candidate can be scored before it is promoted");
            line.waitForCalls(3);
            assertEquals("1", line.lastVersion(), "scoring the candidate changed nothing for the line");

            ProductDescription promoted = models.promote(PromoteRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setVersion(2).build());
            assertEquals(2, promoted.getActiveVersion());
            assertEquals(List.of(1), promoted.getPreviousActiveVersionsList());
            assertEquals("2", score(node), "the first request after Promote is served by the new version");
            line.waitForCalls(5);

            ProductDescription rolledBack = models.rollback(RollbackRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .build());
            assertEquals(1, rolledBack.getActiveVersion());
            assertEquals("1", score(node));
            line.waitForCalls(5);
            line.stop();

            assertEquals(List.of(), line.failures(), "every call during fine-tune, promote and rollback succeeds");
            assertEquals(List.of("1", "2", "1"), line.versionRuns());
            assertEquals(List.of("rollback", "promote", "fine-tune", "upload"),
                    changes(10).stream().map(Change::action).toList(), "every change is audited");
            assertTrue(line.calls() > 20, line.calls() + " calls");
            assertEquals(List.of(), node.unhandled);
        }
    }

    @Test
    void cancelAndQueueAndThresholdPolicy() throws Exception {
        try (RunningNode node = node(true)) {
            ModelsGrpc.ModelsBlockingStub models = models(node);
            upload(node.channel, normals(12, 9000));
            ThresholdPolicy fixed = models.setThresholdPolicy(SetThresholdPolicyRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).setPolicy(ThresholdPolicy.newBuilder().setFixedThreshold(0.321))
                    .build());
            assertEquals(0.321, fixed.getFixedThreshold());

            StartFineTuneRequest.Builder request = StartFineTuneRequest.newBuilder().setProduct(DemoFixture.PRODUCT);
            Job longJob = models.startFineTune(request.setEpochs(200).build());
            Job next = models.startFineTune(request.setEpochs(1).build());
            Job dropped = models.startFineTune(request.setEpochs(1).build());
            assertEquals(2, watchFirst(node, dropped).getQueued().getPosition(), "two jobs ahead of it");
            assertEquals(JobState.CANCELLED, models.cancelJob(CancelJobRequest.newBuilder()
                    .setJobId(dropped.getJobId()).build()).getState());

            List<Integer> trainingThreadNice = new ArrayList<>();
            List<JobEvent> longEvents = watch(node, longJob.getJobId(), e -> {
                if (e.hasEpoch() && e.getEpoch().getEpoch() == 1) {
                    try {
                        trainingThreadNice.addAll(ThreadNice.ofThreadsNamed("kdedge-fine-tune"));
                    } catch (java.io.IOException failure) {
                        throw new java.io.UncheckedIOException(failure);
                    }
                    models.cancelJob(CancelJobRequest.newBuilder().setJobId(longJob.getJobId()).build());
                }
            });
            assertTrue(longEvents.get(longEvents.size() - 1).hasCancelled(), longEvents.toString());
            if (Files.isDirectory(Path.of("/proc/self/task"))) {
                // other tests' nodes may have left their (idle) job threads behind: each is at 19 too
                assertEquals(Set.of(19), Set.copyOf(trainingThreadNice),
                        "the job thread, in the middle of training");
            }
            List<JobEvent> nextEvents = watch(node, next.getJobId(), e -> {});
            assertEquals(2, nextEvents.get(nextEvents.size() - 1).getDone().getVersion(), "the cancelled job wrote none");

            ProductDescription described = models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(2, described.getVersionsCount());
            assertEquals(0.321, described.getVersions(1).getThreshold(), 1e-12);
            assertEquals("fixed", described.getVersions(1).getThresholdPolicy());
            assertEquals(24, described.getVersions(0).getSyntheticDefects(), "the demo's fit: one per held-out normal");
            assertEquals(DemoFixture.bundle().manifest().threshold().synthetic().imageAuroc(),
                    described.getVersions(0).getSyntheticImageAuroc());

            // a threshold set by what it catches of synthetic defects painted on the held-out normals, with a
            // review band below it
            ThresholdPolicy recall = models.setThresholdPolicy(SetThresholdPolicyRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).setPolicy(ThresholdPolicy.newBuilder()
                            .setTargetSyntheticRecall(0.9).setReviewSyntheticRecall(0.99)).build());
            assertEquals(0.9, recall.getTargetSyntheticRecall());
            assertEquals(0.99, recall.getReviewSyntheticRecall());
            Job third = models.startFineTune(request.setEpochs(1).build());
            List<JobEvent> thirdEvents = watch(node, third.getJobId(), e -> {});
            assertEquals(3, thirdEvents.get(thirdEvents.size() - 1).getDone().getVersion(), thirdEvents.toString());
            VersionInfo byRecall = models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()).getVersions(2);
            assertEquals("target-synthetic-recall", byRecall.getThresholdPolicy());
            assertEquals(byRecall.getThresholdImages(), byRecall.getSyntheticDefects());
            assertTrue(byRecall.getSyntheticCaught() >= 0.9, byRecall.toString());
            assertTrue(byRecall.hasReviewFrom() && byRecall.getReviewFrom() <= byRecall.getThreshold(),
                    byRecall.toString());
            assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> models.cancelJob(CancelJobRequest.newBuilder()
                    .setJobId(next.getJobId()).build())));
        }
    }

    @Test
    void badRequestsGetTheRightStatusAndReason() throws Exception {
        try (RunningNode node = node(true)) {
            ModelsGrpc.ModelsBlockingStub models = models(node);
            StartFineTuneRequest.Builder start = StartFineTuneRequest.newBuilder().setProduct(DemoFixture.PRODUCT);
            var tooFew = assertThrows(StatusRuntimeException.class, () -> models.startFineTune(start.build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, tooFew.getStatus().getCode());
            assertTrue(tooFew.getStatus().getDescription().contains("has 0 uploaded normal images"));
            assertEquals(Status.Code.NOT_FOUND, code(() -> models.startFineTune(start.clone().setProduct("nope").build())));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> models.startFineTune(start.clone().setEpochs(500).build())));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> models.startFineTune(start.clone().setLearningRate(5).build())));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> models.startFineTune(start.clone().setHoldoutFraction(0.9).build())));
            assertEquals(Status.Code.NOT_FOUND, code(() -> models.getJob(GetJobRequest.newBuilder().setJobId("x").build())));
            assertEquals(Status.Code.NOT_FOUND, code(() -> models.cancelJob(CancelJobRequest.newBuilder().setJobId("x").build())));
            var epochs = assertThrows(StatusRuntimeException.class,
                    () -> models.startFineTune(start.clone().setEpochs(0xFFFFFFFF).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, epochs.getStatus().getCode());
            assertTrue(epochs.getStatus().getDescription().contains("was 4294967295"), epochs.getStatus().toString());
            var missingVersion = assertThrows(StatusRuntimeException.class, () -> models.promote(PromoteRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT).setVersion(9).build()));
            assertEquals(Status.Code.NOT_FOUND, missingVersion.getStatus().getCode());
            assertTrue(missingVersion.getStatus().getDescription().contains("has no version 9"));
            var hugeVersion = assertThrows(StatusRuntimeException.class, () -> models.promote(PromoteRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT).setVersion(0xFFFFFFFF).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, hugeVersion.getStatus().getCode());
            assertTrue(hugeVersion.getStatus().getDescription().contains("version 4294967295 is out of range"));
            var longJobId = assertThrows(StatusRuntimeException.class,
                    () -> models.getJob(GetJobRequest.newBuilder().setJobId("j".repeat(10_000)).build()));
            assertEquals(Status.Code.NOT_FOUND, longJobId.getStatus().getCode());
            assertTrue(longJobId.getStatus().getDescription().length() < 300, longJobId.getStatus().toString());
            for (double threshold : new double[] {-1, 0, 1e308, Double.NaN}) {
                var fixed = assertThrows(StatusRuntimeException.class, () -> models.setThresholdPolicy(
                        SetThresholdPolicyRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                                .setPolicy(ThresholdPolicy.newBuilder().setFixedThreshold(threshold)).build()));
                assertEquals(Status.Code.INVALID_ARGUMENT, fixed.getStatus().getCode(), "fixed " + threshold);
                assertTrue(fixed.getStatus().getDescription().contains("was " + threshold), fixed.getStatus().toString());
            }
            var noHistory = assertThrows(StatusRuntimeException.class, () -> models.rollback(RollbackRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, noHistory.getStatus().getCode());
            assertTrue(noHistory.getStatus().getDescription().contains("no earlier active version"));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> models.setThresholdPolicy(SetThresholdPolicyRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT).build())));
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> models.setThresholdPolicy(SetThresholdPolicyRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setPolicy(ThresholdPolicy.newBuilder().setTargetFalseRejectRate(0.9)).build())));
            var lowRecall = assertThrows(StatusRuntimeException.class, () -> models.setThresholdPolicy(
                    SetThresholdPolicyRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                            .setPolicy(ThresholdPolicy.newBuilder().setTargetSyntheticRecall(0.2)).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, lowRecall.getStatus().getCode());
            assertEquals("target synthetic recall must be 0.5..0.999, was 0.2", lowRecall.getStatus().getDescription());
            var wideBand = assertThrows(StatusRuntimeException.class, () -> models.setThresholdPolicy(
                    SetThresholdPolicyRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setPolicy(ThresholdPolicy
                            .newBuilder().setTargetFalseRejectRate(0.01).setReviewSyntheticRecall(1)).build()));
            assertEquals("the review band's synthetic recall must be 0.5..0.999, was 1.0",
                    wideBand.getStatus().getDescription());
            assertEquals(Status.Code.NOT_FOUND, code(() -> models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct("nope").build())));

            var noProduct = assertThrows(StatusRuntimeException.class, () -> upload(node.channel, List.of(
                    UploadRequest.newBuilder().setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(normal(1))))
                            .build())));
            assertEquals(Status.Code.INVALID_ARGUMENT, noProduct.getStatus().getCode());
            var unknown = assertThrows(StatusRuntimeException.class, () -> upload(node.channel, List.of(
                    UploadRequest.newBuilder(image(normal(1), "a.png", false)).setProduct("nope").build())));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
            var mixed = assertThrows(StatusRuntimeException.class, () -> upload(node.channel, List.of(
                    image(normal(1), "a.png", false),
                    UploadRequest.newBuilder(image(normal(2), "b.png", false)).setProduct("other").build())));
            assertEquals(Status.Code.INVALID_ARGUMENT, mixed.getStatus().getCode());
            assertTrue(mixed.getStatus().getDescription().contains("kept before it: 1 images (1 new, 0 already stored)"), mixed.getStatus().toString());
            try (var files = Files.list(dir.resolve("store/products/demo/uploads/normals"))) {
                assertEquals(1, files.count(), "the image acknowledged before the bad one is kept, nothing else");
            }
        }
    }

    /**
     * The served threshold moved live from the terminal, as the console's Apply and Reset move it: a new version of
     * the same graphs at that threshold, promoted, audited as the gRPC client, undone by Rollback.
     */
    @Test
    void theServedThresholdMovesAsANewVersionFromTheTerminal() throws Exception {
        try (RunningNode node = node(true)) {
            ModelsGrpc.ModelsBlockingStub models = models(node);
            double fitted = models.describeProduct(DescribeProductRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .build()).getVersions(0).getThreshold();
            String address = "--node=127.0.0.1:" + node.server.port();
            CalibrateCli.Run moved = CalibrateCli.run("remote", "threshold", address, "--product=demo",
                    "--set=" + fitted * 2);
            assertEquals(0, moved.exitCode(), moved.err());
            assertTrue(moved.out().startsWith("demo: active version 2 (before: [1])"), moved.out());
            ProductDescription described = models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(fitted * 2, described.getVersions(1).getThreshold());
            assertEquals(1, described.getVersions(1).getParentVersion());
            assertEquals("2", score(node), "the line is scored at the moved threshold from the next call");

            ProductDescription reset = models.resetThreshold(ResetThresholdRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(3, reset.getActiveVersion());
            assertEquals(fitted, reset.getVersions(2).getThreshold());
            assertEquals(2, models.rollback(RollbackRequest.newBuilder().setProduct(DemoFixture.PRODUCT).build())
                    .getActiveVersion(), "a rollback undoes the reset");
            List<Change> changes = changes(3);
            assertEquals(List.of("rollback", "threshold-reset", "threshold"),
                    changes.stream().map(Change::action).toList());
            assertEquals("grpc", changes.get(2).who().door());

            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> models.moveThreshold(MoveThresholdRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT).setThreshold(Double.NaN).build())));
            assertEquals(Status.Code.NOT_FOUND, code(() -> models.moveThreshold(MoveThresholdRequest.newBuilder()
                    .setProduct("nope").setThreshold(1).build())));
            assertEquals(2, models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()).getActiveVersion(), "refusals change nothing");
        }
    }

    /**
     * A new don't-care region from the terminal: a new version of the same student, promoted, its region the one
     * given, rolled back like any other; and each refusal with its reason, changing nothing.
     */
    @Test
    void aDontCareRegionChangesAsANewVersionFromTheTerminal() throws Exception {
        try (RunningNode node = node(true)) {
            ModelsGrpc.ModelsBlockingStub models = models(node);
            String address = "--node=127.0.0.1:" + node.server.port();
            // the demo's frames are 128 x 128: the top left quarter
            Path quarter = Files.writeString(dir.resolve("label.json"),
                    "{\"width\": 128, \"height\": 128, \"polygons\": [[[0, 0], [64, 0], [64, 64], [0, 64]]]}");
            CalibrateCli.Run tooFew = CalibrateCli.run("remote", "dont-care", address, "--product=demo",
                    "--region=" + quarter);
            assertEquals(1, tooFew.exitCode());
            assertTrue(tooFew.err().contains("FAILED_PRECONDITION") && tooFew.err().contains("has 0 uploaded normal "
                    + "images; a new don't-care region needs at least 8"), tooFew.err());
            upload(node.channel, normals(13, 11000));
            // one of them damaged on the device's storage while the node runs: set aside, not read
            Path uploads = dir.resolve("store/products/demo/uploads/normals");
            Path damaged;
            try (var files = Files.list(uploads)) {
                damaged = files.sorted().findFirst().orElseThrow();
            }
            Files.write(damaged, Arrays.copyOf(Files.readAllBytes(damaged), 100));

            CompletableFuture<CalibrateCli.Run> setting = CompletableFuture.supplyAsync(() -> CalibrateCli.run(
                    "remote", "dont-care", address, "--product=demo", "--region=" + quarter));
            Set<Integer> remaskThreadNice = new HashSet<>();
            StatusRuntimeException meanwhile = null;
            Path productDir = dir.resolve("store/products/demo");
            while (!setting.isDone()) {
                remaskThreadNice.addAll(ThreadNice.ofThreadsNamed("kdedge-dont-care"));
                // the remask's copy of the region is there from its start until its version is written
                if (!leftovers(productDir).isEmpty() && meanwhile == null) {
                    meanwhile = assertThrows(StatusRuntimeException.class, () -> models.setDontCareRegion(
                            SetDontCareRegionRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setEverywhere(true)
                                    .build()));
                }
                Thread.sleep(5);
            }
            CalibrateCli.Run set = setting.join();
            assertEquals(0, set.exitCode(), set.err());
            assertNotNull(meanwhile, "the remask was seen running");
            assertEquals(Status.Code.FAILED_PRECONDITION, meanwhile.getStatus().getCode());
            assertTrue(meanwhile.getStatus().getDescription().startsWith("another don't-care region is being made"),
                    meanwhile.getStatus().getDescription());
            if (Files.isDirectory(Path.of("/proc/self/task"))) {
                assertEquals(Set.of(19), remaskThreadNice, "the region fitted at the lowest priority, as a fine-tune");
                assertEquals(Set.of(ThreadNice.ofCurrentThread()), Set.copyOf(ThreadNice.ofThreadsNamed(
                        "kdedge-engine-loader")), "the new version's engine loaded at the line's priority, and the "
                        + "threads ONNX Runtime started for it");
            }
            assertTrue(Files.exists(dir.resolve("store/products/demo/uploads/damaged/normals")
                    .resolve(damaged.getFileName())), "the damaged upload set aside");
            assertTrue(set.out().startsWith("demo: active version 2 (before: [1])"), set.out());
            ProductDescription described = models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(1, described.getVersions(1).getParentVersion());
            assertEquals(described.getVersions(0).getDataDigest(), described.getVersions(1).getDataDigest(),
                    "the same student, not trained again");
            assertEquals(described.getVersions(0).getThreshold(), described.getVersions(1).getThreshold(),
                    "the threshold as served");
            assertEquals(2, described.getVersions(1).getThresholdImages(), "checked on a fifth of the 12 normals "
                    + "uploaded, held out");
            DontCareRegion region = models.getDontCareRegion(GetDontCareRegionRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build());
            assertEquals(2, region.getVersion());
            assertArrayEquals(DontCareMask.drawing(quarter), region.getPng().toByteArray());
            assertEquals(List.of(0.25, region.getSha256()), List.of(described.getVersions(1).getDontCareShare(),
                    described.getVersions(1).getDontCareSha256()));
            assertEquals(List.of(false, ""), List.of(described.getVersions(0).hasDontCareShare(),
                    described.getVersions(0).getDontCareSha256()), "version 1: every pixel counts");
            CalibrateCli.Run status = CalibrateCli.run("remote", "status", address, "--product=demo");
            int input = DemoFixture.bundle().manifest().preprocessing().width();
            assertTrue(status.out().contains("      input " + input + "x" + input + "; every pixel counts\n")
                    && status.out().contains("      input " + input + "x" + input + "; a don't-care region leaves out "
                    + "25.0% of the input\n"), status.out());
            assertEquals("2", score(node), "the line is scored with the region from the next call");

            assertRefused(models, SetDontCareRegionRequest.newBuilder().setProduct(DemoFixture.PRODUCT).build(),
                    Status.Code.INVALID_ARGUMENT, "a region is required");
            assertRefused(models, SetDontCareRegionRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setPng(ByteString.copyFromUtf8("not a png")).build(), Status.Code.INVALID_ARGUMENT,
                    "must be a PNG");
            assertRefused(models, SetDontCareRegionRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setPolygonsJson("{\"width\": 256, \"height\": 128, \"polygons\": [[[0, 0], [9, 0], [9, 9]]]}")
                    .build(), Status.Code.INVALID_ARGUMENT, "was drawn on 256x128 frames");
            assertRefused(models, SetDontCareRegionRequest.newBuilder().setProduct("nope").setEverywhere(true)
                    .build(), Status.Code.NOT_FOUND, "nope");
            assertEquals(2, models.describeProduct(DescribeProductRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()).getActiveVersion(), "refusals change nothing");

            CalibrateCli.Run everywhere = CalibrateCli.run("remote", "dont-care", address, "--product=demo",
                    "--everywhere");
            assertEquals(0, everywhere.exitCode(), everywhere.err());
            assertEquals(0, models.getDontCareRegion(GetDontCareRegionRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build()).getPng().size(), "every pixel counts again");
            CalibrateCli.Run rollback = CalibrateCli.run("remote", "rollback", address, "--product=demo");
            assertTrue(rollback.out().startsWith("demo: active version 2"), rollback.out());
            assertTrue(rollback.out().endsWith("note: v2 serves another don't-care region than v3, served before: in "
                    + "v2 a don't-care region leaves out 25.0% of the input; in v3 every pixel counts\n"),
                    rollback.out());
            assertEquals(List.of("rollback", "dont-care", "dont-care"),
                    changes(3).stream().map(Change::action).toList());
            assertEquals(List.of("version 1, no don't-care region", "version 2, don't-care region 25.0% of the input"),
                    List.of(changes(3).get(2).before(), changes(3).get(2).after()));
        }
    }

    /** A node that closes while a new region is being made stops making it: no version, nothing left in the store. */
    @Test
    void aNodeClosingWhileARegionIsMadeWritesNothing() throws Exception {
        Path productDir = dir.resolve("store/products/demo");
        Path quarter = Files.writeString(dir.resolve("label.json"),
                "{\"width\": 128, \"height\": 128, \"polygons\": [[[0, 0], [64, 0], [64, 64], [0, 64]]]}");
        CompletableFuture<CalibrateCli.Run> setting;
        // no grace for calls in flight: the remask would otherwise finish within it
        try (RunningNode node = new RunningNode(DemoFixture.copyOfStore(dir.resolve("store")), c -> {
            c.models.enabled = true;
            c.server.shutdownGraceSeconds = 0;
        })) {
            upload(node.channel, normals(13, 12000));
            setting = CompletableFuture.supplyAsync(() -> CalibrateCli.run("remote", "dont-care",
                    "--node=127.0.0.1:" + node.server.port(), "--product=demo", "--region=" + quarter));
            while (leftovers(productDir).isEmpty()) {
                assertFalse(setting.isDone(), () -> "the remask was never seen running: " + setting.join().err());
                Thread.sleep(5);
            }
        }
        assertEquals(1, setting.join().exitCode());
        ModelStore store = new ModelStore(dir.resolve("store"));
        assertEquals(List.of(1), store.versions(DemoFixture.PRODUCT));
        assertEquals(List.of(), leftovers(productDir), "no scratch copy of the region, no version staged");
        assertEquals(List.of(), leftovers(productDir.resolve("versions")));
    }

    /** What the store sweeps at start: the dot-files a write in progress keeps beside a product's files. */
    private static List<Path> leftovers(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().startsWith(".")
                    && !f.getFileName().toString().equals(".lock")).toList();
        }
    }

    private static void assertRefused(ModelsGrpc.ModelsBlockingStub models, SetDontCareRegionRequest request,
            Status.Code status, String reason) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> models.setDontCareRegion(request));
        assertEquals(status, refused.getStatus().getCode(), refused.getStatus().toString());
        assertTrue(refused.getStatus().getDescription().contains(reason), refused.getStatus().getDescription());
    }

    @Test
    void storeChangesAreRefusedUnlessEnabled() throws Exception {
        try (RunningNode node = node(false)) {
            ModelsGrpc.ModelsBlockingStub models = models(node);
            assertEquals(1, models.listProducts(ListProductsRequest.getDefaultInstance()).getProducts(0).getActiveVersion());
            var denied = assertThrows(StatusRuntimeException.class, () -> upload(node.channel, normals(1, 1)));
            assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
            assertTrue(denied.getStatus().getDescription().contains("models.enabled"));
            assertEquals(Status.Code.PERMISSION_DENIED, code(() -> models.promote(PromoteRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).setVersion(1).build())));
            assertEquals(Status.Code.PERMISSION_DENIED, code(() -> models.startFineTune(StartFineTuneRequest.newBuilder()
                    .setProduct(DemoFixture.PRODUCT).build())));
            assertEquals(Status.Code.PERMISSION_DENIED, code(() -> models.moveThreshold(MoveThresholdRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT).setThreshold(1).build())));
            assertEquals(Status.Code.PERMISSION_DENIED, code(() -> models.setDontCareRegion(SetDontCareRegionRequest
                    .newBuilder().setProduct(DemoFixture.PRODUCT).setEverywhere(true).build())));
            assertFalse(Files.exists(dir.resolve("store/products/demo/uploads")));
        }
    }

    private static JobEvent watchFirst(RunningNode node, Job job) {
        return ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .watchJob(WatchJobRequest.newBuilder().setJobId(job.getJobId()).build()).next();
    }

    private static String score(RunningNode node) throws Exception {
        return score(node, 0);
    }

    private static String score(RunningNode node, int version) throws Exception {
        return InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .score(ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setModelVersion(version)
                        .setImage(Image.newBuilder()
                        .setEncoded(ByteString.copyFrom(Files.readAllBytes(DemoFixture.sampleGood())))).build())
                .getVerdict().getModelVersion();
    }

    /** A line client: scores the good sample back to back, recording each version served and each failure. */
    private static final class ScoringClient {
        private final RunningNode node;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<String> versions = Collections.synchronizedList(new ArrayList<>());
        private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;

        ScoringClient(RunningNode node) {
            this.node = node;
            this.thread = new Thread(this::run, "line-client");
        }

        void start() throws Exception {
            versions.add(score(node));
            thread.start();
        }

        private void run() {
            while (running.get()) {
                try {
                    versions.add(score(node));
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }

        void waitForCalls(int more) throws InterruptedException {
            int target = versions.size() + more;
            while (versions.size() < target && failures.isEmpty()) {
                Thread.sleep(20);
            }
        }

        String lastVersion() {
            return versions.get(versions.size() - 1);
        }

        int calls() {
            return versions.size();
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        /** The versions served, each run of equal ones collapsed. */
        List<String> versionRuns() {
            List<String> runs = new ArrayList<>();
            for (String v : List.copyOf(versions)) {
                if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(v)) {
                    runs.add(v);
                }
            }
            return runs;
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }
}
