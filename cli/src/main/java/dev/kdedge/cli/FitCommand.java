package dev.kdedge.cli;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.nio.file.Path;
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

    @Mixin
    TrainingOptions training = new TrainingOptions();

    @Override
    public Integer call() throws Exception {
        ModelStore modelStore = new ModelStore(store);
        try (ConsoleFitProgress progress = new ConsoleFitProgress()) {
            ProductBundle bundle = new ProductFitter(modelStore, training.inference())
                    .fit(training.request(product, teacher, ImageFolders.normalTrainingImages(data)), progress);
            Describe.bundle(bundle, modelStore);
        }
        return 0;
    }
}
