package dev.kdedge.calibration.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.evaluation.EvaluationResult;
import dev.kdedge.calibration.evaluation.TestSetEvaluator;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.TileLayout;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.scoring.MapParity;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.StudentExport;
import dev.kdedge.calibration.training.StudentTrainer;
import dev.kdedge.calibration.training.TrainedStudent;
import dev.kdedge.calibration.training.TrainingProgress;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every registered method must do, run for each one {@link Methods} finds: a method added later gets all of it
 * without writing a test. The node's side (scoring a fitted version over gRPC) is {@code MethodsOnTheNodeTest}.
 */
class MethodConformanceTest {
    /** The synthetic tiles' side. */
    private static final int TILE = 64;
    /** A model input wider than tall, as a line camera's product has: every part of a method must work at it. */
    private static final Extent INPUT = new Extent(96, 64);
    /** The real images' input: wider than tall as well, about the area of 128 x 128. */
    private static final Extent REAL_INPUT = new Extent(160, 96);

    @TempDir
    Path dir;

    static List<String> methods() {
        return Methods.names();
    }

    /** Each method in each of its localizations ("mkd/vanilla"), or alone when it has one. */
    static List<String> variants() {
        List<String> variants = new ArrayList<>();
        for (String name : Methods.names()) {
            List<String> localizations = Methods.named(name).localizations();
            if (localizations.isEmpty()) {
                variants.add(name);
            }
            localizations.forEach(l -> variants.add(name + "/" + l));
        }
        return variants;
    }

    private static DistillationMethod variant(String variant) {
        String[] parts = variant.split("/");
        DistillationMethod method = Methods.named(parts[0]);
        return parts.length == 1 ? method : method.localizing(parts[1]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void aStudentThatEqualsTheTeacherHasZeroLossAndAZeroMap(String name) throws Exception {
        DistillationMethod method = Methods.named(name);
        Path teacherFile = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacherFile, 16, 3);
        FloatTensor image = method.preprocessing(INPUT).apply(new ImageDecoder(Long.MAX_VALUE)
                .decode(png(new SyntheticTiles(TILE).defective(1).image())));
        try (OnnxNetwork teacher = OnnxNetwork.load(teacherFile, InferenceOptions.cpu(1));
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            List<FloatTensor> features = teacher.run(image);
            NDList nd = new NDList();
            for (FloatTensor f : features) {
                nd.add(manager.create(f.data(), new Shape(f.shape())));
            }
            assertEquals(0, method.loss().evaluate(nd, nd).getFloat(), 1e-6);
            // At a student equal to the teacher the loss is at its minimum, where its gradient is zero.
            StudentGradient atMinimum = (loss, guided) -> new FloatTensor(1, 3, INPUT.height(), INPUT.width(),
                    new float[3 * INPUT.area()]);
            AnomalyMap map = method.anomalyMap(features, features, 0, INPUT, atMinimum);
            assertEquals(INPUT, new Extent(map.width(), map.height()));
            for (float v : map.values()) {
                assertEquals(0, v, 1e-6);
            }
            assertEquals(0, map.score(), 1e-6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void fitsStoresEvaluatesAndFineTunesATinyProduct(String name) throws Exception {
        DistillationMethod method = Methods.named(name);
        Path teacher = dir.resolve("teacher.onnx");
        ToyTeacher.write(teacher, 16, 3);
        SyntheticTiles tiles = new SyntheticTiles(TILE);
        List<Path> normals = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            normals.add(write(tiles.normal(100 + i), dir.resolve("normal/" + i + ".png")));
        }
        Path testSet = dir.resolve("test-set");
        for (int i = 0; i < 3; i++) {
            write(tiles.normal(200 + i), testSet.resolve("test/good/" + i + ".png"));
            SyntheticTiles.Defect defect = tiles.defective(300 + i);
            write(defect.image(), testSet.resolve("test/scratch/" + i + ".png"));
            write(defect.mask(), testSet.resolve("ground_truth/scratch/" + i + "_mask.png"));
        }
        ModelStore store = new ModelStore(dir.resolve("store"));
        ProductFitter fitter = new ProductFitter(store, InferenceOptions.cpu(1));
        TrainingSettings training = new TrainingSettings(method.recipe().withBatchSize(4), 2, 1);

        ProductBundle first = fitter.fit(FitRequest.fromScratch("tiny", teacher, normals, method,
                method.preprocessing(INPUT), training, 0.2, ThresholdPolicy.DEFAULT, true), FitProgress.NONE);
        assertEquals(name, first.manifest().method());
        assertEquals(method.studentArchitecture(first.manifest().teacher().channels()),
                first.manifest().student().architecture());
        assertTrue(first.manifest().training().parityMaxAbsDifference() <= StudentExport.PARITY_BOUND);
        assertEquals(1, store.activeVersion("tiny").getAsInt());

        try (BundleMaps maps = new BundleMaps(store.activeBundle("tiny"), Precision.FP32, InferenceOptions.cpu(1))) {
            EvaluationResult result = new TestSetEvaluator(maps, dir).evaluate(testSet, MvtecTestSet.load(testSet),
                    done -> {});
            assertEquals(6, result.images());
            assertTrue(result.pixelAuroc() != null && Double.isFinite(result.imageAuroc()), result.toString());
        }

        // The node runs frames of several streams as one batch: each frame's map and score must be its own.
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<FloatTensor> frames = new ArrayList<>();
        for (String file : List.of("test/good/0.png", "test/scratch/0.png", "test/scratch/1.png")) {
            frames.add(first.manifest().preprocessing().apply(decoder.decodeFile(testSet.resolve(file))));
        }
        Map<String, Map.Entry<Precision, QdqScheme>> graphs = new LinkedHashMap<>();
        graphs.put("fp32", Map.entry(Precision.FP32, QdqScheme.ONNX_RUNTIME));
        for (QdqScheme scheme : QdqScheme.values()) {
            if (first.servedFile(Precision.INT8, scheme).isPresent()) {
                graphs.put("int8 for " + scheme.label(), Map.entry(Precision.INT8, scheme));
            }
        }
        for (var graph : graphs.entrySet()) {
            try (OnnxNetwork served = ServedGraph.load(first, graph.getValue().getKey(), graph.getValue().getValue(),
                    InferenceOptions.cpu(1))) {
                List<FloatTensor> batch = served.run(FloatTensor.stack(frames));
                assertEquals(INPUT, batch.get(0).spatialSize(), name + " " + graph.getKey() + ": the map's size");
                for (int i = 0; i < frames.size(); i++) {
                    List<FloatTensor> alone = served.run(frames.get(i));
                    assertArrayEquals(alone.get(0).data(), batch.get(0).sample(i).data(),
                            1e-4f * max(alone.get(0).data()), name + " " + graph.getKey() + ": map of frame " + i);
                    assertEquals(alone.get(1).data()[0], batch.get(1).data()[i], 1e-4f * alone.get(1).data()[0],
                            name + " " + graph.getKey() + ": score of frame " + i);
                }
            }
        }

        // The INT8 variant of the method's served graph: its verdicts on the test set are the fp32 graph's.
        Manifest.Int8 int8 = first.manifest().int8();
        assertTrue(int8.published(), name + ": no int8 variant: " + int8.refusal());
        System.out.printf("%s int8: deviation %.4f of the threshold, float blocks %s%n", name, int8.scoreDeviation(),
                int8.floatBlocks());
        try (BundleMaps maps = new BundleMaps(first, Precision.INT8, InferenceOptions.cpu(1))) {
            EvaluationResult result = new TestSetEvaluator(maps, dir).evaluate(testSet, MvtecTestSet.load(testSet),
                    done -> {});
            assertEquals("int8", result.precision());
            assertTrue(result.pixelAuroc() != null && Double.isFinite(result.imageAuroc()), result.toString());
        }

        ProductBundle tuned = fitter.fit(FitRequest.refit(first, true, normals, List.of(), training, 0.2,
                ThresholdPolicy.DEFAULT), FitProgress.NONE);
        assertEquals(2, tuned.version());
        assertTrue(tuned.manifest().int8() != null && tuned.manifest().int8TensorRt() != null,
                "a fine-tune builds its own int8 variants");
        assertEquals(1, tuned.manifest().parentVersion());
        assertEquals(1, store.activeVersion("tiny").getAsInt(), "a re-fit is not activated");
    }

    private static float max(float[] values) {
        float max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** Trains on real images, so it belongs to the quality tier ({@code mvn -B test -Pquality}). */
    @Tag("quality")
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void exportMatchesTrainingOnRealImagesWithTheImageNetTeacher(String name) throws Exception {
        Path shared = Path.of(System.getProperty("kdedge.shared", "../shared"));
        Path teacherFile = shared.resolve("models/resnet18-imagenet-layer1-3.onnx");
        Path data = shared.resolve("data/magnetic-tile");
        assertTrue(Files.isRegularFile(teacherFile) && Files.isDirectory(data),
                "the quality tier needs ../shared (magnetic-tile data, ImageNet teacher) beside the checkout");
        DistillationMethod method = variant(name);
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<FloatTensor> images = new ArrayList<>();
        for (Path file : ImageFolders.normalTrainingImages(data).subList(0, 4)) {
            images.add(method.preprocessing(REAL_INPUT).apply(decoder.decodeFile(file)));
        }
        try (OnnxNetwork teacher = OnnxNetwork.load(teacherFile, InferenceOptions.cpu(2))) {
            List<Integer> channels = teacher.run(images.get(0)).stream().map(FloatTensor::channels).toList();
            TrainingSettings settings = new TrainingSettings(method.recipe().withBatchSize(2), 1, 1);
            try (TrainedStudent student = new StudentTrainer(method, settings).train(method.studentGraph(channels), null,
                    teacher, images, true, TrainingProgress.NONE)) {
                Path studentFile = dir.resolve("student.onnx");
                List<List<FloatTensor>> inputs = images.subList(0, 2).stream()
                        .map(image -> method.studentInput().of(image, teacher.run(image))).toList();
                double parity = StudentExport.exportVerified(student, inputs, studentFile,
                        StudentExport.PARITY_BOUND);
                assertTrue(parity <= StudentExport.PARITY_BOUND, "parity " + parity);

                // The served graph (teacher, student, map in one ONNX graph) gives the Java reference map.
                Path servedFile = dir.resolve(ServedGraph.FILE);
                Files.write(servedFile, ServedGraph.compose(teacherFile, channels, studentFile, method,
                        TileLayout.whole(REAL_INPUT), null).toByteArray());
                try (OnnxNetwork served = OnnxNetwork.load(servedFile, InferenceOptions.cpu(2))) {
                    MapParity mapParity = ServedGraph.difference(served, teacher, studentFile, channels, method, images,
                            TileLayout.whole(REAL_INPUT), null, InferenceOptions.cpu(2));
                    System.out.printf("%s served map and score against the reference: %s%n", name, mapParity);
                    assertTrue(mapParity.within(StudentExport.PARITY_BOUND,
                            method.mapTolerance(StudentExport.PARITY_BOUND)), mapParity.toString());
                }
            }
        }
    }

    private static byte[] png(java.awt.image.BufferedImage image) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static Path write(java.awt.image.BufferedImage image, Path file) throws Exception {
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
        return file;
    }
}
