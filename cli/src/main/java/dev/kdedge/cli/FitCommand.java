package dev.kdedge.cli;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.MethodChooser;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.store.AtomicFiles;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit a product's student from a folder of normal images and publish it as a new version.")
final class FitCommand implements Callable<Integer> {
    @Option(names = "--store", required = true, description = "Model store directory.")
    Path store;

    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--data", required = true,
            description = "Folder of normal images, or an MVTec-layout category (uses train/good).")
    Path data;

    @Option(names = "--teacher", required = true,
            description = "Teacher ONNX with feature outputs layer1..layer3 (an ImageNet ResNet-18, for real products).")
    Path teacher;

    @Option(names = "--candidates-store",
            description = "With --method auto: keep the short fits in this model store, to evaluate them (default: "
                    + "a temporary folder, deleted).")
    Path candidatesStore;

    @Mixin
    TrainingOptions training = new TrainingOptions();

    @Override
    public Integer call() throws Exception {
        if (candidatesStore != null && !TrainingOptions.AUTO.equals(training.method)) {
            throw new IllegalArgumentException("--candidates-store applies with --method auto");
        }
        ModelStore modelStore = new ModelStore(store);
        List<Path> images = ImageFolders.normalTrainingImages(data);
        try (ConsoleFitProgress progress = new ConsoleFitProgress()) {
            FitRequest request = training.choosesMethod() ? chosen(images, progress)
                    : training.request(product, teacher, images, Methods.named(training.method));
            ProductBundle bundle = new ProductFitter(modelStore, training.inference()).fit(request, progress);
            Describe.bundle(bundle, modelStore);
        }
        return 0;
    }

    /** The fit of the method that {@link MethodChooser} ranks first among every registered one. */
    private FitRequest chosen(List<Path> images, FitProgress progress) throws Exception {
        List<DistillationMethod> candidates = Methods.names().stream().map(Methods::named).toList();
        Path scratch = candidatesStore != null ? candidatesStore : Files.createTempDirectory("kdedge-candidates-");
        Manifest.MethodChoice choice;
        try {
            choice = new MethodChooser(new ModelStore(scratch), training.inference()).choose(
                    training.request(product, teacher, images, candidates.get(0)), candidates, training.autoEpochs,
                    progress);
        } finally {
            if (candidatesStore == null) {
                AtomicFiles.deleteTree(scratch);
            }
        }
        return training.request(product, teacher, images, Methods.named(choice.chosen())).withMethodChoice(choice);
    }
}
