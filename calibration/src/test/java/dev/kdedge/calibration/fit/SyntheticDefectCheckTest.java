package dev.kdedge.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.demo.SyntheticTiles;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDefectCheckTest {
    @TempDir
    Path dir;

    /**
     * A held-out normal that cannot take a synthetic defect (a thumbnail among the frames, here every one of them)
     * fails the fit with its file named: the engineer has hundreds of normals to look through.
     */
    @Test
    void aNormalThatCannotTakeADefectIsNamed() throws Exception {
        SyntheticTiles thumbnails = new SyntheticTiles(8);
        ToyProductBench bench = ToyProductBench.in(dir, thumbnails::normal);
        Stfpm stfpm = new Stfpm();
        FitRequest request = FitRequest.fromScratch("thumbnails", bench.teacher(), bench.normals(), stfpm,
                stfpm.preprocessing(Extent.square(64)), new TrainingSettings(stfpm.recipe().withBatchSize(4), 1, 1),
                0.25, ThresholdPolicy.DEFAULT, true);

        var refused = assertThrows(IllegalArgumentException.class, () -> bench.fit(request));

        assertTrue(refused.getMessage().matches("held-out normal .*/normal/\\d+\\.png: no visible [a-z-]+ defect could "
                + "be painted on this 8 x 8 image in 20 attempts: is it uniform, or very small\\?"),
                refused.getMessage());
        assertEquals(List.of(), bench.store().versions("thumbnails"));
    }
}
