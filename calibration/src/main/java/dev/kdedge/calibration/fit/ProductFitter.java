package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.TileLayout;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.method.MapTolerance;
import dev.kdedge.calibration.metrics.F1Threshold;
import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.OnnxWeights;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.scoring.FrameInput;
import dev.kdedge.calibration.scoring.Int8Calibration;
import dev.kdedge.calibration.scoring.MapParity;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import dev.kdedge.calibration.training.ExportParityException;
import dev.kdedge.calibration.training.StudentExport;
import dev.kdedge.calibration.training.StudentTrainer;
import dev.kdedge.calibration.training.TrainedStudent;
import dev.kdedge.onnx.ModelProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;

/**
 * Fits a product from normal images and publishes it as a new version in a {@link ModelStore}: train the student
 * (from random initialization, or on from a parent version's student), export it to ONNX and verify parity, compose
 * the served graph (teacher, student, map, score) and hold its map to the method's Java reference, score the held-out
 * normals through that graph to set the threshold with the product's policy, build the graph's INT8 variants (ONNX
 * Runtime's and TensorRT's) and hold each to the float graph's scores, write the bundle atomically, optionally
 * activate it.
 */
public final class ProductFitter {
    /** Decoding limit for training images; far above any camera frame. */
    private static final long MAX_IMAGE_PIXELS = 64L * 1024 * 1024;
    private static final int PARITY_SAMPLES = 4;
    private static final String STUDENT_FILE = "student.onnx";
    private static final Map<QdqScheme, String> INT8_FILES = Map.of(QdqScheme.ONNX_RUNTIME, "served-int8.onnx",
            QdqScheme.TENSORRT, "served-int8-tensorrt.onnx");
    /** Training normals whose activations set the INT8 ranges: the ranges hardly move beyond a few dozen. */
    private static final int INT8_CALIBRATION_IMAGES = 32;
    /** Normals the INT8 variant is held to the tolerance on (the first of the held-out ones). */
    private static final int INT8_CHECK_IMAGES = 128;
    /** Training normals a fit that keeps its parent's student reads: the parity samples and the INT8 ranges' images. */
    private static final int KEPT_STUDENT_TRAINING_IMAGES = Math.max(PARITY_SAMPLES, INT8_CALIBRATION_IMAGES);
    /** The largest share of the model input a don't-care mask may leave out. */
    private static final double MOST_LEFT_OUT = 0.9;

    private final ModelStore store;
    private final InferenceOptions inference;
    private final double parityBound;

    public ProductFitter(ModelStore store, InferenceOptions inference) {
        this(store, inference, StudentExport.PARITY_BOUND);
    }

    /**
     * @param parityBound the largest difference between the trained and the exported student that is published;
     *     products use {@link StudentExport#PARITY_BOUND}, tests a bound no engine meets
     */
    public ProductFitter(ModelStore store, InferenceOptions inference, double parityBound) {
        this.store = store;
        this.inference = inference;
        this.parityBound = parityBound;
    }

    public ProductBundle fit(FitRequest request, FitProgress progress) throws Exception {
        ModelStore.requireValidProductId(request.product());
        if (request.images().size() < 2) {
            throw new IllegalArgumentException("fitting needs at least 2 normal images, got " + request.images().size());
        }
        List<Path> shuffled = new ArrayList<>(request.images());
        Collections.sort(shuffled);
        Collections.shuffle(shuffled, new Random(request.seed()));
        int rounded = (int) Math.round(shuffled.size() * request.holdoutFraction());
        int split = request.holdoutFraction() > 0 ? Math.max(1, rounded) : 0;
        if (shuffled.size() - split < 2) {
            throw new IllegalArgumentException("after holding out " + split
                    + " images, fewer than 2 remain to train on");
        }
        // A kept student reads normals for its checks only, a bounded sample however many were collected on site:
        // each one read costs a decode and its model input on the heap (0.8 MB at 256 px), in the node's heap.
        boolean trains = request.training() != null;
        int holdout = trains ? split : Math.min(split, INT8_CHECK_IMAGES);
        List<Path> trainFiles = shuffled.subList(split,
                trains ? shuffled.size() : Math.min(shuffled.size(), split + KEPT_STUDENT_TRAINING_IMAGES));
        List<Path> calibrationFiles = holdout > 0 ? shuffled.subList(0, holdout) : trainFiles;

        DontCareMask dontCare = request.dontCare() == null ? null : DontCareMask.read(request.dontCare().file());
        if (dontCare != null) {
            requireUsable(dontCare, request);
        }

        String teacherSha = store.installTeacher(request.teacherOnnx());
        try (OnnxNetwork teacher = OnnxNetwork.load(store.teacherFile(teacherSha), inference)) {
            Extent size = request.preprocessing().size();
            TileLayout layout = request.preprocessing().layout();
            FloatTensor blank = request.preprocessing().blankInput();
            List<FloatTensor> taps = teacher.run(blank);
            List<Integer> teacherChannels = taps.stream().map(FloatTensor::channels).toList();
            NetworkGraph studentGraph = request.method().studentGraph(teacherChannels);
            requireMatchingTaps(request.method().name(), studentGraph, taps, layout);
            long featureBytes = Float.BYTES * taps.stream().mapToLong(tap -> tap.data().length).sum();
            int otherImages = holdout + request.defectImages().size();
            int batchSize = trains ? request.training().recipe().batchSize() : 0;
            long imageBytes = Float.BYTES * 3L * size.area();
            long tileBytes = layout.isWhole() ? 0 : Float.BYTES * (long) blank.data().length;
            // a kept student trains on nothing: it has no features to keep
            long keepingFeatures = HeapBudget.required(trainFiles.size(), otherImages, batchSize, imageBytes,
                    layout.count(), tileBytes, featureBytes, trains);
            long recomputingFeatures = HeapBudget.required(trainFiles.size(), otherImages, batchSize, imageBytes,
                    layout.count(), tileBytes, featureBytes, false);
            // where the heap cannot keep the teacher's features, the training computes them again for each batch
            boolean keepFeatures = HeapBudget.fits(keepingFeatures);
            HeapBudget.require(keepFeatures ? keepingFeatures : recomputingFeatures,
                    String.format("fitting %d images at %s px", trainFiles.size() + otherImages, size));

            progress.stage("loading images");
            List<FloatTensor> trainImages = load(request, trainFiles, dontCare, progress);
            List<FloatTensor> calibrationImages = holdout > 0 ? load(request, calibrationFiles, dontCare, progress)
                    : trainImages;
            List<FloatTensor> defectImages = load(request, request.defectImages(), dontCare, progress);
            try (TrainedStudent student = request.training() == null ? null
                    : train(request, studentGraph, teacher, layout.cutAll(trainImages), keepFeatures, progress)) {
                progress.stage(student == null ? "composing the served graph" : "exporting");
                List<FloatTensor> paritySamples = trainImages.subList(0, Math.min(PARITY_SAMPLES, trainImages.size()));
                List<List<FloatTensor>> parityInputs = student == null ? List.of() : parityTiles(paritySamples, layout)
                        .stream().map(tile -> request.method().studentInput().of(tile, teacher.run(tile))).toList();
                ProductBundle bundle = store.writeVersion(request.product(), (dir, version) -> {
                    Path studentFile = dir.resolve(STUDENT_FILE);
                    double parity = student == null ? keptStudent(request.parent(), studentFile)
                            : StudentExport.exportVerified(student, parityInputs, studentFile, parityBound);
                    progress.parityChecked(parity, parityBound);
                    Path servedFile = dir.resolve(ServedGraph.FILE);
                    Manifest.DontCare keptMask = null;
                    if (dontCare != null) {
                        Path maskFile = dir.resolve(DontCareMask.FILE);
                        Files.write(maskFile, DontCareMask.drawing(request.dontCare().file()));
                        keptMask = new Manifest.DontCare(DontCareMask.FILE, Digests.sha256(maskFile), dontCare.width(),
                                dontCare.height(), dontCare.coveredShare(size.width(), size.height()),
                                request.dontCare().polygons().orElse(null));
                    }
                    Files.write(servedFile, ServedGraph.compose(store.teacherFile(teacherSha), teacherChannels,
                            studentFile, request.method(), layout, dontCare).toByteArray());
                    progress.stage("validating");
                    String calibrationSource = holdout > 0 ? "held-out-normals" : "training-images";
                    MapParity mapParity;
                    double frameLevels;
                    Manifest.Threshold threshold;
                    try (OnnxNetwork served = OnnxNetwork.load(servedFile, inference)) {
                        mapParity = ServedGraph.difference(served, teacher, studentFile, teacherChannels,
                                request.method(), paritySamples, layout, dontCare, inference);
                        MapTolerance tolerance = request.method().mapTolerance(parityBound);
                        if (!mapParity.within(parityBound, tolerance)) {
                            throw new ExportParityException(String.format("the served graph's outputs differ from "
                                    + "the method's reference: %s (bounds: score %.0e, map %.0e on average and %.0e "
                                    + "at most); nothing was written", mapParity, parityBound, tolerance.mean(),
                                    tolerance.max()));
                        }
                        frameLevels = FrameInput.levelsApart(request.preprocessing(),
                                decode(trainFiles.subList(0, paritySamples.size())), inference);
                        if (!FrameInput.withinBound(frameLevels)) {
                            throw new ExportParityException(String.format("the served graph's frame input differs "
                                    + "from the fit's preprocessing by %.2f levels of 255 (bound %.0f); nothing was "
                                    + "written", frameLevels, FrameInput.LEVELS_BOUND));
                        }
                        threshold = threshold(request, new Scorer(served, request.preprocessing()), calibrationImages,
                                defectImages, calibrationSource, holdout > 0 ? calibrationFiles : List.of(), dontCare);
                    }
                    progress.thresholdProposed(threshold);
                    progress.stage("quantizing");
                    Map<QdqScheme, Manifest.Int8> int8 = int8(dir, servedFile, trainFiles,
                            trainImages, calibrationImages, calibrationSource, threshold);
                    int8.forEach(progress::quantized);
                    return new Manifest(Manifest.FORMAT, request.product(), version, request.method().name(),
                            request.method().anomalyMapParameters(), Instant.now().toString(),
                            new Manifest.Teacher(teacherSha, studentGraph.outputs(), teacherChannels),
                            new Manifest.Student(STUDENT_FILE, Digests.sha256(studentFile),
                                    request.method().studentArchitecture(teacherChannels),
                                    teacherChannels.get(0), studentGraph.outputs()),
                            request.preprocessing(), threshold,
                            student == null ? request.parent().manifest().training()
                                    : new Manifest.Training(trainImages.size(), Digests.sha256OfContents(trainFiles),
                                            request.training().epochs(), request.training().recipe(),
                                            request.training().seed(), student.epochLosses(), student.epochSeconds(),
                                            parity),
                            request.parent() == null ? null : request.parent().version(),
                            new Manifest.Served(ServedGraph.FILE, Digests.sha256(servedFile), mapParity.max(),
                                    mapParity.mapMean(), frameLevels), int8.get(QdqScheme.ONNX_RUNTIME),
                            int8.get(QdqScheme.TENSORRT), request.methodChoice(), keptMask);
                });
                if (request.activate()) {
                    store.activate(request.product(), bundle.version());
                }
                return bundle;
            }
        }
    }

    /** Trains the request's student, from its parent's weights where it has a parent. */
    private static TrainedStudent train(FitRequest request, NetworkGraph studentGraph, OnnxNetwork teacher,
            List<FloatTensor> trainTiles, boolean keepFeatures, FitProgress progress) throws Exception {
        Map<String, OnnxWeights.Tensor> initialWeights = request.parent() == null ? null
                : OnnxWeights.read(request.parent().studentFile());
        progress.stage(keepFeatures ? "training"
                : "training (the teacher's features computed for each batch: the heap cannot keep them)");
        // a tiled product's student learns from its normals' tiles, as many as the images times the tiles
        return new StudentTrainer(request.method(), request.training())
                .train(studentGraph, initialWeights, teacher, trainTiles, keepFeatures, progress);
    }

    /**
     * Copies the parent's exported student into the new version as it is, checked against the digest its manifest
     * keeps; returns the parity its export was published with.
     */
    private static double keptStudent(ProductBundle parent, Path studentFile) throws IOException {
        Files.copy(parent.studentFile(), studentFile);
        String expected = parent.manifest().student().sha256();
        if (!Digests.sha256(studentFile).equals(expected)) {
            throw new StoreException("the student of " + parent.product() + " version " + parent.version()
                    + " does not match its manifest's digest (" + expected + "): its bundle was changed after it was "
                    + "written; nothing was written");
        }
        return parent.manifest().training().parityMaxAbsDifference();
    }

    /**
     * Builds the INT8 variants from training normals and holds each to the tolerance on the check images (the
     * held-out normals, which the ranges never saw), writing those that pass beside the float graph.
     */
    private Map<QdqScheme, Manifest.Int8> int8(Path dir, Path servedFile, List<Path> trainFiles,
            List<FloatTensor> trainImages, List<FloatTensor> checkImages, String checkSource,
            Manifest.Threshold threshold) throws IOException {
        // The last training images: with nothing held out, the check (the first ones) then sees others.
        int count = Math.min(INT8_CALIBRATION_IMAGES, trainImages.size());
        int first = trainImages.size() - count;
        List<FloatTensor> check = checkImages.subList(0, Math.min(INT8_CHECK_IMAGES, checkImages.size()));
        String calibrationDigest = Digests.sha256OfContents(trainFiles.subList(first, trainFiles.size()));
        ModelProto served;
        try (InputStream in = Files.newInputStream(servedFile)) {
            served = ModelProto.parseFrom(in);
        }
        Map<QdqScheme, Manifest.Int8> variants = new EnumMap<>(QdqScheme.class);
        for (var built : Int8Calibration.build(served, trainImages.subList(first, trainImages.size()), check,
                threshold.calibration().threshold(), inference).entrySet()) {
            Int8Calibration.Result result = built.getValue();
            String file = null;
            String sha256 = null;
            if (result.accepted()) {
                file = INT8_FILES.get(built.getKey());
                Files.write(dir.resolve(file), result.model().toByteArray());
                sha256 = Digests.sha256(dir.resolve(file));
            }
            variants.put(built.getKey(), new Manifest.Int8(file, sha256, result.refusal(), count, calibrationDigest,
                    checkSource, check.size(), result.deviation(), Int8Calibration.TOLERANCE,
                    result.floatBlocks()));
        }
        return variants;
    }

    /** One tile of each image, from places across the layout: what the exported student is checked on. */
    private static List<FloatTensor> parityTiles(List<FloatTensor> images, TileLayout layout) {
        List<FloatTensor> tiles = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            tiles.add(layout.cut(images.get(i), i * layout.count() / images.size()));
        }
        return tiles;
    }

    /**
     * Refuses, before any training, a network input (the image, or its tiles) at which the student's taps would not
     * have the teacher's sizes (strides and pools round odd sides differently in the two networks).
     */
    private static void requireMatchingTaps(String method, NetworkGraph studentGraph, List<FloatTensor> teacherTaps,
            TileLayout layout) {
        Extent size = layout.tile();
        Map<String, Extent> sizes = studentGraph.spatialSizes(size);
        List<Extent> studentSizes = studentGraph.outputs().stream().map(sizes::get).toList();
        List<Extent> teacherSizes = teacherTaps.stream().map(FloatTensor::spatialSize).toList();
        if (!studentSizes.equals(teacherSizes)) {
            throw new IllegalArgumentException(String.format("at " + (layout.isWhole() ? "an input" : "a tile")
                    + " size of %s px the %s student's feature "
                    + "maps would be %s pixels (width x height) and the teacher's are %s: choose sides both divide "
                    + "evenly (multiples of 32 always are)", size, method, widthByHeight(studentSizes),
                    widthByHeight(teacherSizes)));
        }
    }

    private static String widthByHeight(List<Extent> sizes) {
        return sizes.stream().map(size -> size.width() + "x" + size.height()).toList().toString();
    }

    /**
     * Scores the calibration normals (and any labeled defects) through the served graph, on the fit's own
     * preprocessing (the node's frame input is within a level of it, checked before): the policy sets the
     * threshold from the normals (or from synthetic defects painted on them); with defects, the F1-optimal threshold is
     * reported beside it, and with held-out normals, what the threshold does to synthetic defects.
     */
    private static Manifest.Threshold threshold(FitRequest request, Scorer scorer, List<FloatTensor> normals,
            List<FloatTensor> defects, String source, List<Path> heldOutFiles, DontCareMask dontCare)
            throws IOException {
        double[] scores = new double[normals.size() + defects.size()];
        boolean[] defective = new boolean[scores.length];
        double pixelMin = Double.POSITIVE_INFINITY;
        double pixelMax = Double.NEGATIVE_INFINITY;
        Extent size = request.preprocessing().size();
        boolean[] leftOut = dontCare == null ? new boolean[size.area()] : dontCare.at(size.width(), size.height());
        try (SyntheticDefectCheck synthetic = heldOutFiles.isEmpty() ? null
                : new SyntheticDefectCheck(scorer, request.preprocessing(), new ImageDecoder(MAX_IMAGE_PIXELS),
                        dontCare)) {
            for (int i = 0; i < scores.length; i++) {
                defective[i] = i >= normals.size();
                AnomalyMap map = scorer.anomalyMap(scorer.infer(defective[i] ? defects.get(i - normals.size())
                        : normals.get(i)), 0);
                scores[i] = map.score();
                if (!defective[i]) {
                    for (int p = 0; p < leftOut.length; p++) {
                        if (!leftOut[p]) {
                            pixelMin = Math.min(pixelMin, map.values()[p]);
                            pixelMax = Math.max(pixelMax, map.values()[p]);
                        }
                    }
                    if (synthetic != null) {
                        synthetic.addNormal(map);
                    }
                }
            }
            double[] normalScores = Arrays.copyOf(scores, normals.size());
            double[] syntheticScores = synthetic == null ? new double[0] : synthetic.scoreDefects(heldOutFiles);
            ScoreCalibration calibration = request.thresholdPolicy().apply(normalScores, syntheticScores, pixelMin,
                    pixelMax);
            OptionalDouble mapBoundary = request.method().mapBoundary();
            if (mapBoundary.isPresent()) {
                calibration = calibration.withPixelThreshold(mapBoundary.getAsDouble());
            }
            F1Threshold f1 = defects.isEmpty() ? null : F1Threshold.of(scores, defective);
            return Manifest.Threshold.of(request.thresholdPolicy(), source, normals.size(), calibration,
                    f1 == null ? null : f1.threshold(), f1 == null ? null : f1.f1(),
                    synthetic == null ? null : synthetic.result(calibration));
        }
    }

    private static List<Pixels> decode(List<Path> files) throws IOException {
        ImageDecoder decoder = new ImageDecoder(MAX_IMAGE_PIXELS);
        List<Pixels> images = new ArrayList<>(files.size());
        for (Path file : files) {
            images.add(decoder.decodeFile(file));
        }
        return images;
    }

    /** @param dontCare the product's mask, which every image must fit (its aspect ratio), or null */
    private static List<FloatTensor> load(FitRequest request, List<Path> files, DontCareMask dontCare,
            FitProgress progress) throws IOException {
        ImageDecoder decoder = new ImageDecoder(MAX_IMAGE_PIXELS);
        List<FloatTensor> tensors = new ArrayList<>(files.size());
        for (Path file : files) {
            Pixels image = decoder.decodeFile(file);
            if (dontCare != null && !dontCare.fits(image.width(), image.height())) {
                throw new IllegalArgumentException(file + ": " + dontCare.misfit(image.width(), image.height()));
            }
            tensors.add(request.preprocessing().apply(image));
            progress.imageLoaded(tensors.size(), files.size());
        }
        return tensors;
    }

    /**
     * Refuses, before anything is loaded, a don't-care mask the fit cannot honour: one the method's score cannot leave
     * a region out of, one that leaves nothing to inspect at the model's input, and one that marks nothing.
     */
    private static void requireUsable(DontCareMask dontCare, FitRequest request) {
        if (!request.method().scoresByMapMaximum()) {
            throw new IllegalArgumentException(request.method().name() + " scores a part by its detection loss over "
                    + "the whole image, not by its anomaly map: a don't-care mask cannot take a region out of that "
                    + "score (fit stfpm or rd4ad for a product with one)");
        }
        Extent size = request.preprocessing().size();
        double covered = dontCare.coveredShare(size.width(), size.height());
        if (covered == 1) {
            throw new IllegalArgumentException("the don't-care mask covers the whole image at the model's input ("
                    + size + " px): nothing would be inspected");
        }
        if (covered > MOST_LEFT_OUT) {
            throw new IllegalArgumentException(String.format("the don't-care mask leaves out %.1f%% of the model's "
                    + "input (%s px); at most %.0f%% may be left out: the fit paints its synthetic defects on what is "
                    + "inspected, and finds no room for them", 100 * covered, size, 100 * MOST_LEFT_OUT));
        }
        if (covered == 0) {
            throw new IllegalArgumentException("the don't-care mask marks no pixel at the model's input (" + size
                    + " px): white marks what does not count, black what is inspected");
        }
    }
}
