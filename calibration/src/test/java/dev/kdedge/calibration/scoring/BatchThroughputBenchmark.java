package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Not part of the suite (its name does not end in Test): the bare model's images/s at each batch size, the
 * denominator of the README's 8-stream ratio. Rounds alternate the batch sizes so that each sees the same machine;
 * each round runs {@code kdedge.bench.images-per-round} images per batch size.
 *
 * <pre>
 * mvn -B -o test -pl calibration -Dtest=BatchThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkdedge.bench.store=/tmp/int8/store -Dkdedge.bench.product=mt-stfpm -Dkdedge.bench.precision=fp32 \
 *     -Dkdedge.bench.images=../shared/data/magnetic-tile/test/crack
 * </pre>
 */
class BatchThroughputBenchmark {
    private static final int[] BATCHES = {1, 2, 4, 8};

    @Test
    void imagesPerSecondByBatch() throws Exception {
        ProductBundle bundle = new ModelStore(Path.of(System.getProperty("kdedge.bench.store")))
                .activeBundle(System.getProperty("kdedge.bench.product"));
        Precision precision = Precision.of(System.getProperty("kdedge.bench.precision", "fp32"));
        int rounds = Integer.getInteger("kdedge.bench.rounds", 5);
        int perRound = Integer.getInteger("kdedge.bench.images-per-round", 64);
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<FloatTensor> inputs = new ArrayList<>();
        for (Path file : ImageFolders.list(Path.of(System.getProperty("kdedge.bench.images")))) {
            inputs.add(bundle.manifest().preprocessing().apply(decoder.decodeFile(file)));
        }
        InferenceOptions options = InferenceOptions.cpu(Integer.getInteger("kdedge.bench.threads", 2));
        long[] nanos = new long[BATCHES.length];
        try (OnnxNetwork served = ServedGraph.load(bundle, precision, options)) {
            for (int batch : BATCHES) {
                served.run(FloatTensor.stack(inputs.subList(0, batch)));
            }
            for (int round = 0; round < rounds; round++) {
                for (int b = 0; b < BATCHES.length; b++) {
                    int batch = BATCHES[b];
                    long start = System.nanoTime();
                    for (int first = 0; first < perRound; first += batch) {
                        List<FloatTensor> samples = new ArrayList<>(batch);
                        for (int i = 0; i < batch; i++) {
                            samples.add(inputs.get((round * perRound + first + i) % inputs.size()));
                        }
                        served.run(FloatTensor.stack(samples));
                    }
                    nanos[b] += System.nanoTime() - start;
                }
            }
        }
        for (int b = 0; b < BATCHES.length; b++) {
            System.out.printf("%s %s at %d px, batch %d: %.1f images/s (%d images)%n", bundle.label(),
                    precision.label(), bundle.manifest().preprocessing().size(), BATCHES[b],
                    rounds * perRound / (nanos[b] / 1e9), rounds * perRound);
        }
    }
}
