package dev.kdedge.calibration.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.method.stfpm.Stfpm;
import dev.kdedge.calibration.store.Manifest.MethodChoice.Candidate;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.calibration.training.TrainingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ranking rule, and what a choice cannot be made from (the whole run: {@code FitAutoCommandTest} in the CLI). */
class MethodChooserTest {
    @TempDir
    Path dir;

    @Test
    void imageAurocRanksAndPixelAurocBreaksTies() {
        List<Candidate> candidates = new ArrayList<>(List.of(new Candidate("a", 0.80, 0.99, 1),
                new Candidate("b", 0.85, 0.60, 1), new Candidate("c", 0.80, 0.70, 1)));
        candidates.sort(MethodChooser.BEST_FIRST);
        assertEquals(List.of("b", "a", "c"), candidates.stream().map(Candidate::method).toList());
    }

    @Test
    void aChoiceNeedsHeldOutNormalsAndAtLeastOneEpoch() throws Exception {
        Stfpm stfpm = new Stfpm();
        FitRequest request = FitRequest.fromScratch("p", dir.resolve("teacher.onnx"),
                List.of(dir.resolve("a.png"), dir.resolve("b.png")), stfpm, stfpm.preprocessing(Extent.square(64)),
                new TrainingSettings(stfpm.recipe(), 1, 1), 0, ThresholdPolicy.DEFAULT, true);
        MethodChooser chooser = new MethodChooser(new ModelStore(dir.resolve("scratch")), InferenceOptions.cpu(1));
        var all = Methods.names().stream().map(Methods::named).toList();
        IllegalArgumentException noHoldout = assertThrows(IllegalArgumentException.class,
                () -> chooser.choose(request, all, 1, FitProgress.NONE));
        assertTrue(noHoldout.getMessage().contains("held-out normals"), noHoldout.getMessage());
        FitRequest withHoldout = FitRequest.fromScratch("p", dir.resolve("teacher.onnx"), request.images(), stfpm,
                stfpm.preprocessing(Extent.square(64)), request.training(), 0.2, ThresholdPolicy.DEFAULT, true);
        assertThrows(IllegalArgumentException.class, () -> chooser.choose(withHoldout, all, 0, FitProgress.NONE));
        assertThrows(IllegalArgumentException.class, () -> chooser.choose(withHoldout, List.of(), 1,
                FitProgress.NONE));
        assertTrue(Files.notExists(dir.resolve("scratch").resolve("products")), "nothing fitted");
    }
}
