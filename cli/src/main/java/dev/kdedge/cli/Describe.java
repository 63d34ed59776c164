package dev.kdedge.cli;

import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.io.IOException;

/** One-line summaries printed by the commands. */
final class Describe {
    private Describe() {}

    static void bundle(ProductBundle bundle, ModelStore store) throws IOException {
        Manifest m = bundle.manifest();
        boolean active = store.activeVersion(bundle.product()).orElse(-1) == bundle.version();
        System.out.printf("wrote %s (%s, %d epochs, loss %.5f, parity %.2g, threshold %.6g on %d %s)%s%n  %s%n",
                bundle.label(), m.method(), m.training().epochs(),
                m.training().lossPerEpoch().get(m.training().lossPerEpoch().size() - 1),
                m.training().parityMaxAbsDifference(), m.threshold().calibration().threshold(), m.threshold().images(),
                m.threshold().source(), active ? ", active" : ", not active", bundle.directory());
        if (m.preprocessing().tiling() != null) {
            System.out.printf("  tiled: %d tiles of %s px over the %s px working image%n",
                    m.preprocessing().layout().count(), m.preprocessing().networkInput(), m.preprocessing().size());
        }
        if (m.dontCare() != null) {
            System.out.printf("  don't-care region: %.1f%% of the %s px model input, drawn on %dx%d frames (%s)%n",
                    100 * m.dontCare().coveredShare(), m.preprocessing().size(), m.dontCare().width(),
                    m.dontCare().height(), m.dontCare().file());
        }
    }
}
