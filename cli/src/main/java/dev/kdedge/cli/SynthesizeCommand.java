package dev.kdedge.cli;

import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.synthetic.DefectKind;
import dev.kdedge.calibration.synthetic.SyntheticDefects;
import dev.kdedge.calibration.synthetic.SyntheticTestSet;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synthesize", mixinStandardHelpOptions = true,
        description = {"Paint synthetic defects on normal images the product was not fitted on, and write them with "
                + "their masks as an MVTec-layout test set that evaluate reads: an estimate, before any real defect "
                + "is seen, of what a version catches at its threshold."})
final class SynthesizeCommand implements Callable<Integer> {
    @Option(names = "--normals", required = true,
            description = "Folder of normal images NOT used to fit the product (e.g. collected after the fit).")
    Path normals;

    @Option(names = "--out", required = true, description = "Folder to write test/ and ground_truth/ into.")
    Path out;

    @Option(names = "--count", defaultValue = "200", description = "Defects to paint (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--kinds", split = ",", defaultValue = "cut-paste,scar,noise,spot",
            description = "Kinds to draw from (default: ${DEFAULT-VALUE}).")
    List<String> kinds;

    @Option(names = "--min-size", defaultValue = "0.04",
            description = "Smallest defect, as a fraction of the image's shorter side (default: ${DEFAULT-VALUE}).")
    double minSize;

    @Option(names = "--max-size", defaultValue = "0.2",
            description = "Largest defect, as a fraction of the image's shorter side (default: ${DEFAULT-VALUE}).")
    double maxSize;

    @Option(names = "--seed", defaultValue = "1", description = "The same seed paints the same defects (default: "
            + "${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1, was " + count);
        }
        SyntheticDefects.Settings settings = new SyntheticDefects.Settings(kinds.stream().map(DefectKind::of)
                .toList(), minSize, maxSize);
        SyntheticTestSet.Written written = SyntheticTestSet.write(ImageFolders.list(normals), out, count, settings,
                seed);
        System.out.printf("%d normals and %d synthetic defects (%s) written to %s%n", written.normals(),
                written.defects().values().stream().mapToInt(Integer::intValue).sum(), written.defects().entrySet()
                        .stream().map(e -> e.getValue() + " " + e.getKey().label()).collect(Collectors.joining(", ")),
                out);
        System.out.printf("evaluate a version on them: kdedge-calibrate evaluate --store STORE --product PRODUCT "
                + "--data %s --report synthetic.html%n", out);
        return 0;
    }
}
