package dev.kdedge.cli;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "remask", mixinStandardHelpOptions = true,
        description = "Publish a new version of a product with another don't-care region and nothing else changed: "
                + "the student as it is (no training) and its threshold as served, the served graph and INT8 "
                + "variants made again from the product's normal images.")
final class RemaskCommand implements Callable<Integer> {
    @Option(names = "--store", required = true, description = "Model store directory.")
    Path store;

    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--dont-care", required = true, paramLabel = "PNG|JSON|none",
            description = "The new don't-care region, as fit takes it (a PNG drawn on a camera frame, or a .json "
                    + "file of polygons), or none: every pixel counts.")
    String dontCare;

    @Option(names = "--data", required = true,
            description = "Folder of the product's normal images, or an MVTec-layout category (uses train/good): "
                    + "a held-out share checks the served threshold (synthetic defects, the score statistics drift is "
                    + "measured against), the rest sets the INT8 ranges.")
    Path data;

    @Option(names = "--from-version", paramLabel = "N",
            description = "The version whose student, teacher, method and preprocessing are kept (default: the "
                    + "active one).")
    Integer fromVersion;

    @Option(names = "--holdout-fraction", defaultValue = "0.2",
            description = "Share of the normal images held out (default: ${DEFAULT-VALUE}).")
    double holdoutFraction;

    @Option(names = "--threads", defaultValue = "2", description = "Inference threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-activate", description = "Publish the new version without making it the serving one.")
    boolean noActivate;

    @Override
    public Integer call() throws Exception {
        ModelStore modelStore = new ModelStore(store);
        ProductBundle base = fromVersion == null ? modelStore.activeBundle(product)
                : modelStore.bundle(product, fromVersion);
        Path mask = "none".equals(dontCare) ? null : Path.of(dontCare);
        FitRequest request = FitRequest.remask(base, mask, ImageFolders.normalTrainingImages(data), holdoutFraction,
                !noActivate);
        try (ConsoleFitProgress progress = new ConsoleFitProgress()) {
            ProductBundle bundle = new ProductFitter(modelStore, InferenceOptions.cpu(threads)).fit(request, progress);
            System.out.printf("%s keeps the student of %s as it is (its training below)%n", bundle.label(),
                    base.label());
            Describe.bundle(bundle, modelStore);
        }
        return 0;
    }
}
