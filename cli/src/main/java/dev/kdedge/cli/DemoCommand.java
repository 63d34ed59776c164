package dev.kdedge.cli;

import dev.kdedge.calibration.demo.DemoProduct;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a demo product (synthetic textured tiles) and fit it, offline, in half a minute.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--store", required = true, description = "Model store directory.")
    Path store;

    @Option(names = "--work", required = true,
            description = "Where the generated images (normal/, sample-good.png, sample-defect.png) are written.")
    Path work;

    @Option(names = "--product", defaultValue = "demo", description = "Product id (default: ${DEFAULT-VALUE}).")
    String product;

    @Option(names = "--teacher",
            description = "Teacher ONNX; by default a small teacher with random weights is generated locally.")
    Path teacher;

    @Option(names = "--images", defaultValue = "" + DemoProduct.DEFAULT_IMAGES, description = "Normal images to generate (default: ${DEFAULT-VALUE}).")
    int images;

    @Override
    public Integer call() throws Exception {
        ModelStore modelStore = new ModelStore(store);
        try (ConsoleFitProgress progress = new ConsoleFitProgress()) {
            if (teacher == null) {
                System.err.println("no --teacher given: generating a small local teacher with random weights "
                        + "(fine for this demo; real products need an ImageNet teacher)");
            }
            ProductBundle bundle = DemoProduct.create(modelStore, work, product, teacher, images, progress);
            Describe.bundle(bundle, modelStore);
        }
        System.out.println("samples: " + DemoProduct.sampleGood(work) + " " + DemoProduct.sampleDefect(work));
        return 0;
    }
}
