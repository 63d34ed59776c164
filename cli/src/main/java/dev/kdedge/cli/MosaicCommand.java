package dev.kdedge.cli;

import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.synthetic.MosaicTestSet;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "mosaic", mixinStandardHelpOptions = true,
        description = {"Write camera-sized frames made of a test set's real images, as an MVTec-layout test set: each "
                + "frame a grid of its images resized to the cells, a defective frame holding one defective image "
                + "(its mask carried into the frame's). For measuring what large, wide frames cost and what a small "
                + "defect in them scores."})
final class MosaicCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "MVTec-layout category whose test/ images are used.")
    Path data;

    @Option(names = "--out", required = true, description = "Folder to write test/ and ground_truth/ into.")
    Path out;

    @Option(names = "--width", required = true, description = "Frame width in pixels.")
    int width;

    @Option(names = "--height", required = true, description = "Frame height in pixels.")
    int height;

    @Option(names = "--columns", defaultValue = "4", description = "Cells across (default: ${DEFAULT-VALUE}).")
    int columns;

    @Option(names = "--rows", defaultValue = "2", description = "Cells down (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--good", defaultValue = "20", description = "Good frames (default: ${DEFAULT-VALUE}).")
    int good;

    @Option(names = "--defective", defaultValue = "20",
            description = "Frames with one defective image (default: ${DEFAULT-VALUE}).")
    int defective;

    @Option(names = "--format", defaultValue = "jpg", description = "jpg (quality 90) or png (default: "
            + "${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--seed", defaultValue = "1", description = "The same seed makes the same frames (default: "
            + "${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        int written = MosaicTestSet.write(MvtecTestSet.load(data), out, new MosaicTestSet.Layout(width, height,
                columns, rows, good, defective), format, seed);
        System.out.printf("%d frames of %dx%d (%.1f megapixels; %d good, %d with a defect) written to %s%n", written,
                width, height, width * (double) height / 1e6, good, defective, out);
        return 0;
    }
}
