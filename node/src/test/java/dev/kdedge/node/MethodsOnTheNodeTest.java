package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectResponse;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.JobEvent;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.ProductDescription;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.RollbackRequest;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.StartFineTuneRequest;
import dev.kdedge.api.v1.VersionInfo;
import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.image.Tiling;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered method served by a real node, the way its users run it: a product fitted with the method is
 * scored over gRPC in all three RPC shapes exactly as offline, fine-tuned through the Models service, promoted and
 * rolled back. No method-specific code is involved on the node's side. The product's frames are twice as wide as
 * tall, and so is its model input: nothing square is assumed anywhere. One more product is fitted in two overlapping
 * tiles: the node serves and fine-tunes it from its bundle alone, its heatmap the whole working image.
 */
class MethodsOnTheNodeTest {
    private static final int TILE = 64;
    private static final Extent INPUT = new Extent(2 * TILE, TILE);

    @TempDir
    Path dir;

    /** Every method seeing the image whole, and STFPM in two 80 x 64 tiles sharing 32 px. */
    static List<Arguments> methods() {
        List<Arguments> methods = new ArrayList<>(Methods.names().stream().map(name -> Arguments.of(name, null))
                .toList());
        methods.add(Arguments.of("stfpm", new Tiling(80, 64, 32)));
        return methods;
    }

    @ParameterizedTest(name = "{0}, tiles {1}")
    @MethodSource("methods")
    void servedFineTunedPromotedAndRolledBack(String name, Tiling tiling) throws Exception {
        DistillationMethod method = Methods.named(name);
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 16, 3);
        SyntheticTiles tiles = new SyntheticTiles(TILE);
        List<Path> normals = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Path file = dir.resolve("normal-" + i + ".png");
            ImageIO.write(SyntheticTiles.sideBySide(tiles.normal(100 + i), tiles.normal(200 + i)), "png",
                    file.toFile());
            normals.add(file);
        }
        Path defect = dir.resolve("defect.png");
        ImageIO.write(SyntheticTiles.sideBySide(tiles.normal(300), tiles.defective(7).image()), "png",
                defect.toFile());
        ModelStore store = new ModelStore(dir.resolve("store"));
        ProductBundle bundle = new ProductFitter(store, InferenceOptions.cpu(1)).fit(FitRequest.fromScratch("tiny",
                teacher, normals, method, method.preprocessing(INPUT).tiled(tiling),
                new TrainingSettings(method.recipe().withBatchSize(4), 2, 1), 0.2, ThresholdPolicy.DEFAULT, true),
                FitProgress.NONE);
        double offline;
        try (BundleMaps maps = new BundleMaps(bundle, Precision.FP32, InferenceOptions.cpu(1))) {
            offline = maps.score(defect).map().score();
        }

        try (RunningNode node = new RunningNode(store.root(), c -> c.models.enabled = true)) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            ScoreRequest request = ScoreRequest.newBuilder().setProduct("tiny").setImage(Image.newBuilder()
                    .setEncoded(ByteString.copyFrom(Files.readAllBytes(defect)))).build();
            assertEquals(offline, inspection.score(request).getVerdict().getRawScore(), 1e-5);

            Iterator<InspectResponse> inspected = inspection.inspect(request.toBuilder().setHeatmap(
                    HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.PNG_GRAY)).build());
            assertEquals(offline, inspected.next().getVerdict().getRawScore(), 1e-5);
            InspectResponse heatmap = inspected.next();
            assertTrue(heatmap.hasHeatmapChunk());
            assertEquals(INPUT, new Extent(heatmap.getHeatmapChunk().getWidth(), heatmap.getHeatmapChunk().getHeight()),
                    "the heatmap is at the model's input size");
            inspected.forEachRemaining(r -> {});

            CompletableFuture<Double> streamed = new CompletableFuture<>();
            StreamObserver<FrameRequest> camera = InspectionGrpc.newStub(node.channel).inspectStream(
                    new StreamObserver<>() {
                        public void onNext(dev.kdedge.api.v1.FrameResult r) {
                            streamed.complete(r.getResult().getVerdict().getRawScore());
                        }

                        public void onError(Throwable t) {
                            streamed.completeExceptionally(t);
                        }

                        public void onCompleted() {}
                    });
            camera.onNext(FrameRequest.newBuilder().setFrameId(1).setRequest(request).build());
            camera.onCompleted();
            assertEquals(offline, streamed.get(60, TimeUnit.SECONDS), 1e-5);

            ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(5, TimeUnit.MINUTES);
            ModelsApiTest.upload(node.channel, ModelsApiTest.normals(10, 400).stream()
                    .map(u -> u.toBuilder().setProduct("tiny").build()).toList());
            Job job = models.startFineTune(StartFineTuneRequest.newBuilder().setProduct("tiny").setEpochs(1).build());
            List<JobEvent> events = ModelsApiTest.watch(node, job.getJobId(), e -> {});
            JobEvent last = events.get(events.size() - 1);
            assertEquals(2, last.getDone().getVersion(), events.toString());
            assertEquals(bundle.manifest().preprocessing(), store.bundle("tiny", 2).manifest().preprocessing(),
                    "the fine-tune keeps the product's preprocessing, tiles included");

            ProductDescription promoted = models.promote(PromoteRequest.newBuilder().setProduct("tiny").setVersion(2)
                    .build());
            assertEquals(2, promoted.getActiveVersion());
            VersionInfo described = promoted.getVersions(1);
            assertEquals(List.of(INPUT.width(), INPUT.height(), tiling == null ? 0 : tiling.tileWidth(),
                    tiling == null ? 0 : tiling.tileHeight(), tiling == null ? 0
                            : bundle.manifest().preprocessing().layout().count()),
                    List.of(described.getInputWidth(), described.getInputHeight(), described.getTileWidth(),
                            described.getTileHeight(), described.getTiles()), "what the engineer sees of the input");
            assertEquals("2", inspection.score(request).getVerdict().getModelVersion());
            assertEquals(1, models.rollback(RollbackRequest.newBuilder().setProduct("tiny").build())
                    .getActiveVersion());
            assertEquals("1", inspection.score(request).getVerdict().getModelVersion());
        }
    }
}
