package dev.kdedge.calibration.evaluation;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.dataset.MvtecTestSet.Sample;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.metrics.Auroc;
import dev.kdedge.calibration.metrics.PixelMetrics;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Scores every test image through the served path and computes the papers' metrics: image AUROC (score = map
 * maximum), pixel AUROC and PRO (FPR up to 0.3) at model resolution with masks resized nearest and thresholded at
 * 127, and image AUROC per defect type (that type against the good images).
 */
public final class TestSetEvaluator {
    public static final double PRO_MAX_FPR = 0.3;
    private static final int WARM_UP = 3;

    private final Scorer scorer;
    private final int inputSize;

    public TestSetEvaluator(Scorer scorer, int inputSize) {
        this.scorer = scorer;
        this.inputSize = inputSize;
    }

    public EvaluationResult evaluate(String bundleLabel, List<Sample> samples, ScoreCalibration calibration,
            IntConsumer progress) throws IOException {
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        double[] scores = new double[samples.size()];
        boolean[] defective = new boolean[samples.size()];
        double[] inferenceMs = new double[samples.size()];
        PixelMetrics pixels = new PixelMetrics();
        boolean anyMask = false;
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            var input = scorer.preprocess(decoder.decodeFile(s.image()));
            long start = System.nanoTime();
            AnomalyMap map = scorer.anomalyMap(scorer.infer(input), 0);
            inferenceMs[i] = (System.nanoTime() - start) / 1e6;
            scores[i] = map.score();
            defective[i] = s.defective();
            boolean[] mask = s.mask() != null ? mask(decoder, s) : null;
            anyMask |= mask != null;
            pixels.add(map.values(), mask);
            progress.accept(i + 1);
        }
        Map<String, Double> perType = new LinkedHashMap<>();
        for (String type : samples.stream().map(Sample::type).distinct().filter(t -> !MvtecTestSet.GOOD.equals(t)).toList()) {
            int[] idx = java.util.stream.IntStream.range(0, samples.size())
                    .filter(i -> samples.get(i).type().equals(type) || !defective[i]).toArray();
            perType.put(type, Auroc.of(Arrays.stream(idx).mapToDouble(i -> scores[i]).toArray(), toBool(idx, defective)));
        }
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i = 0; i < scores.length; i++) {
            boolean flagged = calibration.isAnomalous(scores[i]);
            if (defective[i]) {
                if (flagged) tp++; else fn++;
            } else {
                if (flagged) fp++; else tn++;
            }
        }
        double[] timed = Arrays.copyOfRange(inferenceMs, Math.min(WARM_UP, inferenceMs.length - 1), inferenceMs.length);
        Arrays.sort(timed);
        return new EvaluationResult(bundleLabel, samples.size(), tp + fn, Auroc.of(scores, defective),
                anyMask ? pixels.pixelAuroc() : null, anyMask ? pixels.pro(PRO_MAX_FPR) : null, perType,
                new EvaluationResult.Confusion(calibration.threshold(), tp, fp, tn, fn), timed[timed.length / 2]);
    }

    private static boolean[] toBool(int[] idx, boolean[] values) {
        boolean[] out = new boolean[idx.length];
        for (int k = 0; k < idx.length; k++) {
            out[k] = values[idx[k]];
        }
        return out;
    }

    /** The mask at model resolution: nearest-neighbour resize, anomalous where the value is above 127. */
    private boolean[] mask(ImageDecoder decoder, Sample s) throws IOException {
        Pixels m = decoder.decodeFile(s.mask());
        boolean[] out = new boolean[inputSize * inputSize];
        for (int y = 0; y < inputSize; y++) {
            int sy = Math.min(m.height() - 1, (int) Math.floor(y * (double) m.height() / inputSize));
            for (int x = 0; x < inputSize; x++) {
                int sx = Math.min(m.width() - 1, (int) Math.floor(x * (double) m.width() / inputSize));
                out[y * inputSize + x] = (m.data()[(sy * m.width() + sx) * m.channels()] & 0xff) > 127;
            }
        }
        return out;
    }
}
