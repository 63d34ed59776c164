package dev.kdedge.calibration.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kdedge.calibration.dataset.MvtecTestSet;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.evaluation.EvaluationResult;
import dev.kdedge.calibration.evaluation.TestSetEvaluator;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Score an MVTec-layout test set with a product version: image AUROC, pixel AUROC, PRO, per-type AUROC, confusion at the threshold.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--store", required = true, description = "Model store directory.")
    Path store;

    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--version", description = "Version to evaluate (default: the active one).")
    Integer version;

    @Option(names = "--data", required = true, description = "MVTec-layout category (test/<type>/, ground_truth/<type>/).")
    Path data;

    @Option(names = "--output", description = "Also write the result as JSON to this file.")
    Path output;

    @Option(names = "--threads", defaultValue = "2", description = "Inference threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        ModelStore modelStore = new ModelStore(store);
        ProductBundle bundle = version != null ? modelStore.bundle(product, version) : modelStore.activeBundle(product);
        List<MvtecTestSet.Sample> samples = MvtecTestSet.load(data);
        InferenceOptions options = InferenceOptions.cpu(threads);
        EvaluationResult result;
        try (OnnxNetwork teacher = OnnxNetwork.load(bundle.teacherFile(), options);
                OnnxNetwork student = OnnxNetwork.load(bundle.studentFile(), options);
                ProgressBar bar = new ProgressBarBuilder().setTaskName("evaluate").setInitialMax(samples.size())
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).build()) {
            Scorer scorer = new Scorer(DistillationMethod.named(bundle.manifest().method()), teacher, student,
                    bundle.manifest().preprocessing());
            result = new TestSetEvaluator(scorer, bundle.manifest().preprocessing().size())
                    .evaluate(bundle.label(), samples, bundle.manifest().threshold().calibration(), bar::stepTo);
        }
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(result);
        if (output != null) {
            Files.write(output, json);
        }
        System.out.println(new String(json, java.nio.charset.StandardCharsets.UTF_8));
        return 0;
    }
}
