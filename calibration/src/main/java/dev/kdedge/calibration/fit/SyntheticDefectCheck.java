package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.evaluation.TestSetEvaluator;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.metrics.PixelMetrics;
import dev.kdedge.calibration.metrics.RocCurve;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.synthetic.SyntheticDefects;
import dev.kdedge.calibration.threshold.ScoreCalibration;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.DoubleStream;
import javax.imageio.ImageIO;

/**
 * A version judged against synthetic defects before any real one is seen: one painted on each held-out normal (the
 * i-th with seed {@link #SEED} + i), each scored through the served graph as a camera's PNG would be, and the scores
 * and maps set against the held-out normals'. The normals' maps are added first, then the defects scored. A product's
 * don't-care region gets no defect, and its pixels are left out of the pixel metrics.
 */
final class SyntheticDefectCheck implements AutoCloseable {
    static final long SEED = 1;

    private final Scorer scorer;
    private final Preprocessing preprocessing;
    private final ImageDecoder decoder;
    private final PixelMetrics pixels;
    private final DontCareMask dontCare;
    private final DoubleStream.Builder normalScores = DoubleStream.builder();
    private double[] defectScores;

    /** @param dontCare the product's don't-care mask, or null */
    SyntheticDefectCheck(Scorer scorer, Preprocessing preprocessing, ImageDecoder decoder, DontCareMask dontCare)
            throws IOException {
        this.scorer = scorer;
        this.preprocessing = preprocessing;
        this.decoder = decoder;
        this.dontCare = dontCare;
        this.pixels = new PixelMetrics(Path.of(System.getProperty("java.io.tmpdir")));
    }

    void addNormal(AnomalyMap map) throws IOException {
        normalScores.add(map.score());
        pixels.add(map.values(), null, leftOut(map), map.width());
    }

    /** Paints a defect on each of the held-out normals and returns their image scores, in the files' order. */
    double[] scoreDefects(List<Path> heldOutFiles) throws IOException {
        SyntheticDefects painter = new SyntheticDefects(SyntheticDefects.Settings.DEFAULT);
        defectScores = new double[heldOutFiles.size()];
        for (int i = 0; i < defectScores.length; i++) {
            Path file = heldOutFiles.get(i);
            Pixels normal = decoder.decodeFile(file);
            SyntheticDefects.Defect defect;
            try {
                defect = painter.paint(normal.toImage(), SEED + i,
                        dontCare == null ? null : dontCare.at(normal.width(), normal.height()));
            } catch (IllegalArgumentException e) {
                // among hundreds of normals, the engineer must learn which one to look at
                throw new IllegalArgumentException("held-out normal " + file + ": " + e.getMessage(), e);
            }
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(defect.image(), "png", png);
            AnomalyMap map;
            try {
                map = scorer.anomalyMap(scorer.infer(preprocessing.apply(decoder.decode(png.toByteArray()))), 0);
            } catch (InvalidImageException e) {
                throw new IOException("the synthetic defect painted on " + file + " cannot be decoded: "
                        + e.getMessage(), e);
            }
            defectScores[i] = map.score();
            pixels.add(map.values(), grayPixels(defect.mask()).maskAt(map.width(), map.height()), leftOut(map),
                    map.width());
        }
        return defectScores.clone();
    }

    /** What {@code calibration} does to the defects and the normals, and how well the version separates them. */
    Manifest.SyntheticCheck result(ScoreCalibration calibration) throws IOException {
        double[] normals = normalScores.build().toArray();
        double[] scores = DoubleStream.concat(Arrays.stream(normals), Arrays.stream(defectScores)).toArray();
        boolean[] defective = new boolean[scores.length];
        Arrays.fill(defective, normals.length, scores.length, true);
        Double pixelAuroc = pixels.hasDefectPixels()
                ? pixels.compute(TestSetEvaluator.PRO_MAX_FPR).pixelAuroc() : null;
        return new Manifest.SyntheticCheck(defectScores.length, SEED, 0, 0, RocCurve.auroc(scores, defective),
                pixelAuroc, null, null, Arrays.stream(normals).boxed().toList(),
                Arrays.stream(defectScores).boxed().toList()).at(calibration);
    }

    private boolean[] leftOut(AnomalyMap map) {
        return dontCare == null ? null : dontCare.at(map.width(), map.height());
    }

    /** A mask painted as 8-bit gray. */
    private static Pixels grayPixels(BufferedImage mask) {
        return new Pixels(mask.getWidth(), mask.getHeight(), 1,
                ((DataBufferByte) mask.getRaster().getDataBuffer()).getData());
    }

    @Override
    public void close() throws IOException {
        pixels.close();
    }
}
