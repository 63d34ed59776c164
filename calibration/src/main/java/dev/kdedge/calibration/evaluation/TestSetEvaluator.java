package dev.kdedge.calibration.evaluation;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.dataset.MvtecTestSet.Sample;
import dev.kdedge.calibration.evaluation.EvaluationResult.ImageScore;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.metrics.F1Threshold;
import dev.kdedge.calibration.metrics.PixelMetrics;
import dev.kdedge.calibration.metrics.RocCurve;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Scores every test image through the served path (in this process or on a node) and computes the papers' metrics: image AUROC (score = map
 * maximum), pixel AUROC and PRO (FPR up to 0.3) at model resolution with masks resized nearest and thresholded at
 * 127, image AUROC per defect type (that type against the good images), the F1-optimal threshold, and the counts at
 * the bundle's own threshold. A version's don't-care region is left out of the pixel metrics. Maps are not kept:
 * memory does not grow with the number of images beyond one score each (see {@link PixelMetrics}).
 */
public final class TestSetEvaluator {
    public static final double PRO_MAX_FPR = 0.3;
    private static final int WARM_UP = 3;

    private final AnomalyMapSource maps;
    private final Path scratch;
    private final ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);

    /** @param scratch where the pixel metrics spill the maps while the test set is scored */
    public TestSetEvaluator(AnomalyMapSource maps, Path scratch) {
        this.maps = maps;
        this.scratch = scratch;
    }

    public EvaluationResult evaluate(Path data, List<Sample> samples, IntConsumer progress) throws IOException {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException(data + " has no test images");
        }
        double[] scores = new double[samples.size()];
        boolean[] defective = new boolean[samples.size()];
        double[] inferenceMs = new double[samples.size()];
        List<String> notes = new ArrayList<>();
        PixelMetrics.Result pixelResult = null;
        boolean[] leftOut = null;
        try (PixelMetrics pixels = new PixelMetrics(scratch)) {
            for (int i = 0; i < samples.size(); i++) {
                Sample s = samples.get(i);
                AnomalyMapSource.Scored scored = maps.score(s.image());
                AnomalyMap map = scored.map();
                inferenceMs[i] = scored.inferenceMs();
                scores[i] = map.score();
                defective[i] = s.defective();
                if (leftOut == null && maps.dontCare().isPresent()) {
                    leftOut = maps.dontCare().get().at(map.width(), map.height());
                    notes.add(String.format("the version's don't-care region (%.1f%% of each map) is left out of "
                            + "pixel AUROC and PRO", 100 * maps.dontCare().get().coveredShare(map.width(),
                            map.height())));
                }
                boolean[] mask = s.mask() == null ? null
                        : decoder.decodeFile(s.mask()).maskAt(map.width(), map.height());
                pixels.add(map.values(), mask, leftOut, map.width());
                progress.accept(i + 1);
            }
            if (pixels.hasDefectPixels()) {
                pixelResult = pixels.compute(PRO_MAX_FPR);
            } else {
                notes.add("no defect masks (ground_truth/<type>/<name>_mask.png): pixel AUROC and PRO not computed");
            }
        }
        int defects = (int) IntStream.range(0, defective.length).filter(i -> defective[i]).count();
        boolean bothClasses = defects > 0 && defects < samples.size();
        if (defects == 0) {
            notes.add("no defective images: image AUROC and the F1-optimal threshold are undefined");
        } else if (!bothClasses) {
            notes.add("no good images: image AUROC is undefined");
        }
        RocCurve roc = bothClasses ? RocCurve.of(scores, defective) : null;
        double threshold = maps.threshold();
        List<ImageScore> imageScores = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            imageScores.add(new ImageScore(samples.get(i).image().toString(), samples.get(i).type(), scores[i],
                    scores[i] >= threshold));
        }
        return new EvaluationResult(maps.bundleLabel(), maps.precision(), data.toString(), samples.size(), defects,
                roc == null ? null : roc.area(), pixelResult == null ? null : pixelResult.pixelAuroc(),
                pixelResult == null ? null : pixelResult.pro(),
                pixelResult == null || Double.isNaN(pixelResult.proAsStfpmCode()) ? null : pixelResult.proAsStfpmCode(),
                bothClasses ? perType(samples, scores, defective) : Map.of(),
                defects > 0 ? F1Threshold.of(scores, defective) : null, confusion(imageScores, threshold),
                median(inferenceMs),
                roc, pixelResult == null ? null : pixelResult.proCurve(), imageScores, notes);
    }

    private static Map<String, Double> perType(List<Sample> samples, double[] scores, boolean[] defective) {
        Map<String, Double> perType = new LinkedHashMap<>();
        for (String type : samples.stream().map(Sample::type).distinct().filter(t -> !MvtecTestSet.GOOD.equals(t)).toList()) {
            int[] idx = IntStream.range(0, samples.size())
                    .filter(i -> samples.get(i).type().equals(type) || !defective[i]).toArray();
            boolean[] labels = new boolean[idx.length];
            for (int k = 0; k < idx.length; k++) {
                labels[k] = defective[idx[k]];
            }
            perType.put(type, RocCurve.auroc(Arrays.stream(idx).mapToDouble(i -> scores[i]).toArray(), labels));
        }
        return perType;
    }

    private static EvaluationResult.Confusion confusion(List<ImageScore> scores, double threshold) {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (ImageScore s : scores) {
            if (s.defective()) {
                if (s.flagged()) tp++; else fn++;
            } else {
                if (s.flagged()) fp++; else tn++;
            }
        }
        return new EvaluationResult.Confusion(threshold, tp, fp, tn, fn);
    }

    private static double median(double[] inferenceMs) {
        double[] timed = Arrays.copyOfRange(inferenceMs, Math.min(WARM_UP, inferenceMs.length - 1), inferenceMs.length);
        Arrays.sort(timed);
        return timed[timed.length / 2];
    }
}
