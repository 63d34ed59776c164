package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.DontCareRegion;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.GetDontCareRegionRequest;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A product with a don't-care region served by a real node, as a camera sees it: a scratch under the mask passes, one
 * beside it is rejected, the heatmap greys the region out, and a frame of another aspect ratio, on which the region
 * would land elsewhere, is refused.
 */
class DontCareOnTheNodeTest {
    private static final int TILE = 64;

    @TempDir
    Path dir;

    @Test
    void theRegionIsOutOfTheVerdictAndGreyInTheHeatmap() throws Exception {
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 16, 3);
        SyntheticTiles tiles = new SyntheticTiles(TILE);
        List<Path> normals = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Path file = dir.resolve("normal-" + i + ".png");
            ImageIO.write(SyntheticTiles.sideBySide(tiles.normal(100 + i), tiles.normal(200 + i)), "png",
                    file.toFile());
            normals.add(file);
        }
        BufferedImage drawn = new BufferedImage(4 * TILE, 2 * TILE, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = drawn.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(2 * TILE, 0, 2 * TILE, 2 * TILE);
        g.dispose();
        Path mask = dir.resolve("dont-care.png");
        ImageIO.write(drawn, "png", mask.toFile());
        DistillationMethod stfpm = Methods.named("stfpm");
        ModelStore store = new ModelStore(dir.resolve("store"));
        new ProductFitter(store, InferenceOptions.cpu(1)).fit(FitRequest.fromScratch("labelled", teacher, normals,
                stfpm, stfpm.preprocessing(new Extent(2 * TILE, TILE)),
                new TrainingSettings(stfpm.recipe().withBatchSize(4), 3, 1), 0.25, ThresholdPolicy.DEFAULT, true)
                .withDontCare(mask), FitProgress.NONE);

        try (RunningNode node = new RunningNode(store.root(), c -> {})) {
            var inspection = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            ScoreResponse underTheMask = inspection.score(request(SyntheticTiles.sideBySide(tiles.normal(301),
                    tiles.defective(8).image())));
            assertEquals(Evaluation.OK, underTheMask.getVerdict().getEvaluation(),
                    underTheMask.getVerdict().toString());
            ScoreResponse beside = inspection.score(request(SyntheticTiles.sideBySide(tiles.defective(7).image(),
                    tiles.normal(300))));
            assertEquals(Evaluation.NOT_OK, beside.getVerdict().getEvaluation(), beside.getVerdict().toString());

            BufferedImage overlay = ImageIO.read(new ByteArrayInputStream(beside.getHeatmap().getData().toByteArray()));
            assertEquals(2 * TILE, overlay.getWidth());
            for (int y = 0; y < overlay.getHeight(); y += 7) {
                for (int x = 0; x < overlay.getWidth(); x += 5) {
                    int rgb = overlay.getRGB(x, y);
                    boolean gray = (rgb >> 16 & 0xff) == (rgb & 0xff) && (rgb >> 8 & 0xff) == (rgb & 0xff);
                    assertEquals(x >= TILE, gray, "the overlay at " + x + "," + y + " is grey under the mask only");
                }
            }

            StatusRuntimeException square = assertThrows(StatusRuntimeException.class,
                    () -> inspection.score(request(tiles.normal(1))));
            assertEquals(Status.Code.INVALID_ARGUMENT, square.getStatus().getCode());
            assertTrue(square.getStatus().getDescription().contains("labelled@1: the product's don't-care mask was "
                    + "drawn on 256x128 frames (aspect 2.000) and this image is 64x64 (aspect 1.000)"),
                    square.getStatus().getDescription());

            var models = ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            DontCareRegion region = models.getDontCareRegion(GetDontCareRegionRequest.newBuilder()
                    .setProduct("labelled").build());
            assertEquals(1, region.getVersion(), "the active version's");
            assertArrayEquals(Files.readAllBytes(mask), region.getPng().toByteArray(), "the mask as drawn");
            assertEquals(Digests.sha256(Files.readAllBytes(mask)), region.getSha256());
            StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> models
                    .getDontCareRegion(GetDontCareRegionRequest.newBuilder().setProduct("labelled").setVersion(9)
                            .build()));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode(), unknown.getStatus().toString());

            // what evaluate --node measures on the node is what evaluate --store measures from the bundle: the
            // region's pixels left out of pixel AUROC and PRO, the defect drawn under it included
            Path data = testSet(tiles);
            JsonNode local = evaluate(data, "--store", store.root().toString());
            Path report = dir.resolve("node.html");
            JsonNode remote = evaluate(data, "--node", "127.0.0.1:" + node.server.port(), "--report",
                    report.toString());
            for (String metric : new String[] {"pixelAuroc", "pro", "imageAuroc"}) {
                assertTrue(local.get(metric).isNumber(), metric + " is measured: " + local);
                assertEquals(local.get(metric).asDouble(), remote.get(metric).asDouble(), 1e-4, metric);
            }
            assertTrue(remote.get("notes").toString().contains("the version's don't-care region (50.0% of each map)"
                    + " is left out of pixel AUROC and PRO"), remote.get("notes").toString());
            assertTrue(Files.readString(report).contains("<h2>Don't-care region</h2>") && Files.readString(report)
                    .contains("(50.0 % of the model's input). Drawn on 256 x 128 frames"), "the report shows it");
        }
    }

    /**
     * An MVTec-layout test set of this product's frames: good ones, and scratches beside the region and under it, with
     * their ground-truth masks.
     */
    private Path testSet(SyntheticTiles tiles) throws Exception {
        Path data = dir.resolve("test-set");
        Path good = Files.createDirectories(data.resolve("test").resolve("good"));
        Path scratch = Files.createDirectories(data.resolve("test").resolve("scratch"));
        Path truth = Files.createDirectories(data.resolve("ground_truth").resolve("scratch"));
        BufferedImage clean = new BufferedImage(TILE, TILE, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 4; i++) {
            ImageIO.write(SyntheticTiles.sideBySide(tiles.normal(400 + i), tiles.normal(500 + i)), "png",
                    good.resolve("good-" + i + ".png").toFile());
            SyntheticTiles.Defect defect = tiles.defective(20 + i);
            boolean under = i % 2 == 1;
            ImageIO.write(under ? SyntheticTiles.sideBySide(tiles.normal(600 + i), defect.image())
                    : SyntheticTiles.sideBySide(defect.image(), tiles.normal(600 + i)), "png",
                    scratch.resolve("scratch-" + i + ".png").toFile());
            ImageIO.write(under ? SyntheticTiles.sideBySide(clean, defect.mask())
                    : SyntheticTiles.sideBySide(defect.mask(), clean), "png",
                    truth.resolve("scratch-" + i + "_mask.png").toFile());
        }
        return data;
    }

    private JsonNode evaluate(Path data, String... source) throws Exception {
        Path json = Files.createTempFile(dir, "evaluation-", ".json");
        List<String> args = new ArrayList<>(List.of("evaluate", "--product", "labelled", "--data", data.toString(),
                "--json", json.toString()));
        args.addAll(List.of(source));
        CalibrateCli.Run run = CalibrateCli.run(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        return new ObjectMapper().readTree(json.toFile());
    }

    private static ScoreRequest request(BufferedImage frame) throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(frame, "png", png);
        return ScoreRequest.newBuilder().setProduct("labelled")
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(png.toByteArray())))
                .setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.PNG_OVERLAY)).build();
    }
}
