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
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Not part of the suite (its name does not end in Test): the README's INT8 speed figures. Times a version's fp32 and
 * int8 served graphs at batch 1 in one process, alternating image by image so that both see the same machine:
 *
 * <pre>
 * mvn -B -o test -pl calibration -Dtest=Int8SpeedBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkdedge.bench.store=/tmp/int8/store -Dkdedge.bench.product=mt-stfpm \
 *     -Dkdedge.bench.images=../shared/data/magnetic-tile/test/crack
 * </pre>
 */
class Int8SpeedBenchmark {
    @Test
    void int8AgainstFp32() throws Exception {
        ProductBundle bundle = new ModelStore(Path.of(System.getProperty("kdedge.bench.store")))
                .activeBundle(System.getProperty("kdedge.bench.product"));
        int runs = Integer.getInteger("kdedge.bench.runs", 200);
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        List<FloatTensor> inputs = new ArrayList<>();
        for (Path file : ImageFolders.list(Path.of(System.getProperty("kdedge.bench.images")))) {
            inputs.add(bundle.manifest().preprocessing().apply(decoder.decodeFile(file)));
        }
        InferenceOptions options = InferenceOptions.cpu(Integer.getInteger("kdedge.bench.threads", 2));
        try (OnnxNetwork fp32 = ServedGraph.load(bundle, Precision.FP32, options);
                OnnxNetwork int8 = ServedGraph.load(bundle, Precision.INT8, options)) {
            for (int i = 0; i < 20; i++) {
                fp32.run(inputs.get(i % inputs.size()));
                int8.run(inputs.get(i % inputs.size()));
            }
            double[] fp32Ms = new double[runs];
            double[] int8Ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                FloatTensor input = inputs.get(i % inputs.size());
                long start = System.nanoTime();
                fp32.run(input);
                long middle = System.nanoTime();
                int8.run(input);
                fp32Ms[i] = (middle - start) / 1e6;
                int8Ms[i] = (System.nanoTime() - middle) / 1e6;
            }
            Arrays.sort(fp32Ms);
            Arrays.sort(int8Ms);
            System.out.printf("%s at %s px, batch 1, median of %d: fp32 %.2f ms, int8 %.2f ms, int8/fp32 %.2f "
                    + "(float blocks: %s)%n", bundle.label(), bundle.manifest().preprocessing().size(), runs,
                    fp32Ms[runs / 2], int8Ms[runs / 2], int8Ms[runs / 2] / fp32Ms[runs / 2],
                    bundle.manifest().int8().floatBlocks());
        }
    }
}
