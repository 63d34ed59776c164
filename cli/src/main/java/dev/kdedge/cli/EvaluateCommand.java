package dev.kdedge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kdedge.cli.remote.ClientTls;
import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.evaluation.AnomalyMapSource;
import dev.kdedge.calibration.evaluation.BundleMaps;
import dev.kdedge.calibration.evaluation.EvaluationResult;
import dev.kdedge.cli.report.GroundTruthOutline;
import dev.kdedge.cli.report.HtmlReport;
import dev.kdedge.cli.remote.NodeMaps;
import dev.kdedge.cli.report.ReportGallery;
import dev.kdedge.calibration.evaluation.TestSetEvaluator;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import dev.kdedge.calibration.store.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Score an MVTec-layout test set (test/<type>/, optional ground_truth/<type>/<name>_mask.png) "
                + "with a product version from a model store or as a running node serves it: image AUROC, pixel "
                + "AUROC, PRO, per-type AUROC, F1-optimal threshold, false rejects and misses at the product's threshold.",
                "Prints a summary; --json writes every figure and per-image score, --report a self-contained HTML report."})
final class EvaluateCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = "--store", required = true, description = "Model store directory: evaluate a version in this process.")
        Path store;

        @Option(names = "--node", required = true, description = "Node address (host:port): evaluate what it serves.")
        String node;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Mixin
    ClientTls tls = new ClientTls();

    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--version", description = "The version to evaluate (default: the active one); on a node, a version "
            + "that is not active is scored beside the active one without changing what the line gets.")
    Integer version;

    @Option(names = "--data", required = true, description = "MVTec-layout category folder.")
    Path data;

    @Option(names = "--json", description = "Write the full result as JSON to this file.")
    Path json;

    @Option(names = "--report", description = "Write the HTML report to this file.")
    Path report;

    @Option(names = "--gallery", defaultValue = "8",
            description = "Report gallery: at most this many false rejects, misses and detections each (default: ${DEFAULT-VALUE}).")
    int galleryPerGroup;

    @Option(names = "--precision", description = "With --store: the variant to score, fp32 (default) or int8; a node "
            + "serves the precision its configuration sets, and the report says which.")
    String precision;

    @Option(names = "--int8-variant", description = "With --precision int8: "
            + "onnxruntime (default; what the cpu and cuda providers serve) or tensorrt (what a tensorrt node serves; "
            + "its rounding is run here by ONNX Runtime, not by TensorRT).")
    String int8Variant;

    @Option(names = "--threads", defaultValue = "2", description = "With --store: inference threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(data);
        try (AnomalyMapSource maps = openSource()) {
            TestSetEvaluator evaluator = new TestSetEvaluator(maps,
                    Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"))));
            EvaluationResult result;
            try (ProgressBar bar = progressBar("evaluate", samples.size())) {
                result = evaluator.evaluate(data, samples, bar::stepTo);
            }
            if (json != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), result);
            }
            if (report != null) {
                writeReport(result, maps, samples);
            }
            printSummary(result);
        }
        return 0;
    }

    private AnomalyMapSource openSource() throws IOException {
        if (source.node != null) {
            if (precision != null || int8Variant != null) {
                throw new IllegalArgumentException("--precision and --int8-variant apply with --store: a node serves "
                        + "the precision its configuration (precision.products) sets, in its provider's variant");
            }
            return new NodeMaps(source.node, tls.channel(source.node), product, version == null ? 0 : version);
        }
        Precision chosen = precision == null ? Precision.FP32 : Precision.of(precision);
        if (int8Variant != null && chosen != Precision.INT8) {
            throw new IllegalArgumentException("--int8-variant applies with --precision int8");
        }
        ModelStore modelStore = new ModelStore(source.store);
        return new BundleMaps(version != null ? modelStore.bundle(product, version) : modelStore.activeBundle(product),
                chosen, int8Variant == null ? QdqScheme.ONNX_RUNTIME : QdqScheme.of(int8Variant),
                InferenceOptions.cpu(threads));
    }

    /** The report, its gallery's defects outlined where their masks say they are. */
    private void writeReport(EvaluationResult result, AnomalyMapSource maps, List<MvtecTestSet.Sample> samples)
            throws IOException {
        Map<String, Path> masks = new HashMap<>();
        samples.stream().filter(sample -> sample.mask() != null)
                .forEach(sample -> masks.put(sample.image().toString(), sample.mask()));
        List<ReportGallery.Pick> picks = ReportGallery.pick(result.scores(), galleryPerGroup);
        List<HtmlReport.GalleryImage> gallery = new ArrayList<>();
        try (ProgressBar bar = progressBar("report", picks.size())) {
            for (ReportGallery.Pick pick : picks) {
                byte[] overlay = maps.overlayPng(Path.of(pick.image().image()));
                Path mask = masks.get(pick.image().image());
                gallery.add(new HtmlReport.GalleryImage(pick, mask == null ? overlay
                        : GroundTruthOutline.drawn(overlay, mask)));
                bar.step();
            }
        }
        new HtmlReport().write(report, result, maps.modelDescription(), maps.manifest().orElse(null), gallery,
                maps.dontCare().orElse(null));
    }

    private static ProgressBar progressBar(String task, int images) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(images).setStyle(ProgressBarStyle.ASCII)
                .setUnit(" img", 1).setUpdateIntervalMillis(500).build();
    }

    private void printSummary(EvaluationResult r) {
        System.out.printf(Locale.ROOT, "%s (%s) on %s: %d images (%d defective)%n", r.bundle(), r.precision(),
                r.data(), r.images(), r.defective());
        System.out.printf(Locale.ROOT, "  image AUROC %s   pixel AUROC %s   PRO(0.3) %s   (STFPM code's PRO: %s)%n",
                figure(r.imageAuroc()), figure(r.pixelAuroc()), figure(r.pro()), figure(r.proAsStfpmCode()));
        r.imageAurocPerType().forEach((type, auroc) -> System.out.printf(Locale.ROOT, "  %-16s %.3f%n", type, auroc));
        EvaluationResult.Confusion c = r.atThreshold();
        System.out.printf(Locale.ROOT, "  at threshold %.6g: %d of %d good parts rejected, %d of %d defects missed%n",
                c.threshold(), c.falsePositives(), c.falsePositives() + c.trueNegatives(), c.falseNegatives(),
                c.falseNegatives() + c.truePositives());
        if (r.f1Optimal() != null) {
            System.out.printf(Locale.ROOT, "  F1-optimal threshold %.6g (F1 %.3f, precision %.3f, recall %.3f)%n",
                    r.f1Optimal().threshold(), r.f1Optimal().f1(), r.f1Optimal().precision(), r.f1Optimal().recall());
        }
        System.out.printf(Locale.ROOT, "  inference %.1f ms/image (median, batch 1)%n", r.inferenceMsMedian());
        r.notes().forEach(note -> System.out.println("  note: " + note));
        if (json != null) {
            System.out.println("  json: " + json);
        }
        if (report != null) {
            System.out.println("  report: " + report);
        }
    }

    private static String figure(Double value) {
        return value == null ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
    }
}
