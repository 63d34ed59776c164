package dev.kdedge.node.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.DemoProduct;
import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fine-tune whose export fails the parity check ends FAILED, saying why, and publishes no version. */
class FineTuneParityTest {
    /** No float32 engine reproduces a float64 reference this closely over thousands of outputs. */
    private static final double UNREACHABLE_BOUND = 1e-12;

    @TempDir
    Path dir;

    @Test
    void aFineTuneThatFailsParityFailsAndPublishesNothing() throws Exception {
        ModelStore store = new ModelStore(dir.resolve("store"));
        DemoProduct.create(store, dir.resolve("work"), "demo", null, 20, FitProgress.NONE);
        SyntheticTiles tiles = new SyntheticTiles(DemoProduct.IMAGE_SIZE);
        for (int i = 0; i < UploadedNormals.MIN + 2; i++) {
            store.storeUpload("demo", ModelStore.UploadKind.NORMAL, HeatmapImages.png(tiles.normal(500 + i)), "png");
        }
        try (FineTuneJobs jobs = new FineTuneJobs(store, dir.resolve("jobs"),
                new ProductFitter(store, InferenceOptions.cpu(1), UNREACHABLE_BOUND),
                new AuditTrail(dir.resolve("audit.db")))) {
            FineTuneJob job = jobs.start(FineTuneSettings.requested("demo", false, 1, 0, 0), Actor.grpc("a test"));
            CompletableFuture<JobEvent> end = new CompletableFuture<>();
            jobs.watch(job.id(), event -> {
                if (event.endsTheJob()) {
                    end.complete(event);
                }
            }).stream().filter(JobEvent::endsTheJob).findFirst().ifPresent(end::complete);
            JobEvent last = end.get(3, TimeUnit.MINUTES);

            assertTrue(last.what() instanceof JobEvent.Failed failed
                    && failed.reason().contains("differs from the trained one"), last.toString());
            assertEquals(JobState.FAILED, jobs.get(job.id()).state());
            assertEquals(List.of(1), store.versions("demo"));
            assertEquals(1, store.activeVersion("demo").getAsInt());
            try (Stream<Path> versions = Files.list(store.root().resolve("products/demo/versions"))) {
                assertEquals(List.of("1"), versions.map(p -> p.getFileName().toString()).toList());
            }
        }
    }
}
