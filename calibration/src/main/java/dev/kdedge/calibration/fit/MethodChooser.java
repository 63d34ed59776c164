package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.Manifest.MethodChoice.Candidate;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.training.TrainingSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses a product's method from its normal images alone: fits each candidate briefly into a scratch store (the same
 * images, hold-out, seed, input size and threshold policy; {@code epochs} epochs of the method's own recipe) and ranks
 * them by how well each tells the synthetic defects painted on the held-out normals from the normals themselves.
 * Image AUROC ranks (it is what decides a part); pixel AUROC only breaks ties, because synthetic defects' masks are
 * exactly the changed pixels, so their pixel AUROC runs far above the real defects' (0.82-0.99 against 0.62-0.68 on
 * MT-256).
 */
public final class MethodChooser {
    static final Comparator<Candidate> BEST_FIRST = Comparator.comparingDouble(Candidate::imageAuroc)
            .thenComparingDouble(Candidate::pixelAuroc).reversed();

    private final ModelStore scratch;
    private final InferenceOptions inference;

    /** @param scratch where the short fits are written (the caller keeps or deletes it) */
    public MethodChooser(ModelStore scratch, InferenceOptions inference) {
        this.scratch = scratch;
        this.inference = inference;
    }

    /**
     * @param request the fit to choose a method for (its own method and training settings are not used)
     * @param candidates the methods to try; with a don't-care mask, those that cannot leave a region out of their
     *     score are left out
     * @throws IllegalArgumentException without held-out normals, candidates or epochs
     */
    public Manifest.MethodChoice choose(FitRequest request, List<DistillationMethod> candidates, int epochs,
            FitProgress progress) throws Exception {
        if (request.dontCare() != null) {
            candidates = candidates.stream().filter(DistillationMethod::scoresByMapMaximum).toList();
        }
        if (request.holdoutFraction() == 0) {
            throw new IllegalArgumentException("choosing a method needs held-out normals to paint synthetic defects "
                    + "on: use a hold-out fraction above 0");
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no methods to choose from");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("a short fit needs at least 1 epoch, got " + epochs);
        }
        List<Candidate> fitted = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            DistillationMethod method = candidates.get(i);
            progress.candidateStarted(method.name(), i + 1, candidates.size(), epochs);
            long start = System.nanoTime();
            ProductBundle bundle = new ProductFitter(scratch, inference).fit(request.candidate(method,
                    new TrainingSettings(method.recipe(), epochs, request.training().seed())), progress);
            Manifest.SyntheticCheck check = bundle.manifest().threshold().synthetic();
            fitted.add(new Candidate(method.name(), check.imageAuroc(),
                    check.pixelAuroc() != null ? check.pixelAuroc() : 0, (System.nanoTime() - start) / 1e9));
        }
        fitted.sort(BEST_FIRST);
        Manifest.MethodChoice choice = new Manifest.MethodChoice(epochs, fitted);
        progress.methodChosen(choice);
        return choice;
    }
}
