package dev.kdedge.cli;

import dev.kdedge.calibration.digest.Digests;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.GpuPlatform;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.engine.ProviderUnavailableException;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.scoring.Scorer;
import dev.kdedge.calibration.scoring.ServedGraph;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What a field engineer runs on a device before trusting it with a line: everything the node needs from this machine
 * and its store, checked the way the node would use it, and each problem said in one line.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check this machine for serving a model store: the execution providers this ONNX Runtime has, "
                + "the GPU and TensorRT release, the store's permissions, every active version's files against its "
                + "manifest (teachers included), and each active version's engine built and timed per precision on "
                + "the provider.", "Exits 1 when anything is wrong, listing each problem."})
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--store", required = true, description = "Model store directory, as the node's store setting.")
    Path store;

    @Option(names = "--provider", defaultValue = "cpu",
            description = "Execution provider to build engines on: cpu, cuda or tensorrt (default: ${DEFAULT-VALUE}).")
    String provider;

    @Option(names = "--gpu", defaultValue = "0", description = "CUDA device index (default: ${DEFAULT-VALUE}).")
    int gpu;

    @Option(names = "--engine-cache", description = "TensorRT engine cache, as the node's inference.engineCache "
            + "(default: <store>/engines).")
    Path engineCache;

    @Option(names = "--max-batch", defaultValue = "1",
            description = "Batch bound engines are built for, as the node's scoring.batching.maxBatch (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--runs", defaultValue = "20",
            description = "Timed runs per engine after its first (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime threads (default: ${DEFAULT-VALUE}).")
    int threads;

    private final List<String> problems = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        ExecutionProvider chosen = ExecutionProvider.of(provider);
        if (runs < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("--runs and --max-batch must be at least 1");
        }
        ModelStore modelStore = new ModelStore(store);
        Path engines = engineCache != null ? engineCache : modelStore.engineCache();
        boolean providerAvailable = checkPlatform(chosen);
        checkStore(chosen, engines);
        InferenceOptions options = InferenceOptions.cpu(threads).on(chosen, gpu, Optional.of(engines))
                .withMaxBatch(maxBatch);
        for (String product : modelStore.products()) {
            checkProduct(modelStore, product, chosen, providerAvailable, options);
        }
        System.out.println();
        if (problems.isEmpty()) {
            System.out.println("No problems found.");
            return 0;
        }
        System.out.println(problems.size() + (problems.size() == 1 ? " problem:" : " problems:"));
        problems.forEach(problem -> System.out.println("  - " + problem));
        return 1;
    }

    private boolean checkPlatform(ExecutionProvider chosen) {
        GpuPlatform platform = GpuPlatform.local();
        System.out.println("ONNX Runtime " + platform.onnxRuntime() + ", execution providers "
                + ExecutionProvider.available().stream().map(Enum::name).sorted().toList());
        System.out.println("GPU: " + platform.gpu().orElse("none found (no NVIDIA driver GPUs, no Jetson device tree)"));
        System.out.println("TensorRT: " + platform.tensorRt().orElse("none found (no libnvinfer.so.X.Y.Z on "
                + "LD_LIBRARY_PATH or in the system library directories)"));
        try {
            chosen.requireAvailable();
            System.out.println("Provider " + chosen.label() + ": available");
        } catch (ProviderUnavailableException e) {
            problems.add(e.getMessage());
            System.out.println("Provider " + chosen.label() + ": NOT AVAILABLE");
            return false;
        }
        if (chosen != ExecutionProvider.CPU && platform.gpu().isEmpty()) {
            problems.add("provider " + chosen.label() + " is in this ONNX Runtime but no GPU was found");
        }
        if (chosen == ExecutionProvider.TENSORRT && platform.tensorRt().isEmpty()) {
            problems.add("no TensorRT release found: engines cannot be cached (each load builds them again)");
        }
        return true;
    }

    private void checkStore(ExecutionProvider chosen, Path engines) {
        if (!Files.isDirectory(store)) {
            problems.add("store " + store + " is not a directory");
            return;
        }
        boolean readable = Files.isReadable(store) && Files.isExecutable(store);
        boolean writable = Files.isWritable(store);
        System.out.println("Store " + store + ": " + (readable ? "readable" : "NOT READABLE") + ", "
                + (writable ? "writable" : "read-only (the node serves it but refuses uploads and fine-tunes)"));
        if (!readable) {
            problems.add("store " + store + " is not readable by this user");
        }
        if (chosen == ExecutionProvider.TENSORRT) {
            Path existing = engines;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isWritable(existing)) {
                problems.add("engine cache " + engines + " is not writable: TensorRT cannot keep its engines");
            }
        }
    }

    private void checkProduct(ModelStore modelStore, String product, ExecutionProvider chosen,
            boolean providerAvailable, InferenceOptions options) {
        ProductBundle bundle;
        try {
            bundle = modelStore.activeBundle(product);
        } catch (IOException e) {
            System.out.println(product + ": no active version (" + e.getMessage() + ")");
            return;
        }
        Manifest manifest = bundle.manifest();
        System.out.println(bundle.label() + " (" + manifest.method() + ", " + manifest.preprocessing().size() + " px)");
        checkFiles(bundle);
        if (!providerAvailable) {
            return;
        }
        for (Precision precision : Precision.values()) {
            String line = "  " + precision.label() + ": ";
            Optional<String> cannotRun = chosen.cannotRun(precision);
            if (cannotRun.isPresent()) {
                System.out.println(line + "not on " + chosen.label() + ": " + cannotRun.get());
            } else if (precision.hasOwnGraph() && bundle.servedFile(precision, chosen.int8Scheme()).isEmpty()) {
                System.out.println(line + bundle.missing(precision, chosen.int8Scheme()));
            } else {
                System.out.println(line + timed(bundle, precision, options));
            }
        }
    }

    /** Each file the manifest names against the digest it records. */
    private void checkFiles(ProductBundle bundle) {
        Manifest manifest = bundle.manifest();
        Map<Path, String> recorded = new LinkedHashMap<>();
        recorded.put(bundle.teacherFile(), manifest.teacher().sha256());
        recorded.put(bundle.studentFile(), manifest.student().sha256());
        if (manifest.served() != null) {
            recorded.put(bundle.directory().resolve(manifest.served().file()), manifest.served().sha256());
        }
        manifest.publishedInt8().forEach(int8 -> recorded.put(bundle.directory().resolve(int8.file()), int8.sha256()));
        if (manifest.dontCare() != null) {
            recorded.put(bundle.directory().resolve(manifest.dontCare().file()), manifest.dontCare().sha256());
        }
        int intact = 0;
        for (Map.Entry<Path, String> file : recorded.entrySet()) {
            try {
                if (Digests.sha256(file.getKey()).equals(file.getValue())) {
                    intact++;
                } else {
                    problems.add(bundle.label() + ": " + file.getKey() + " does not match the sha256 its manifest "
                            + "records");
                }
            } catch (IOException e) {
                problems.add(bundle.label() + ": cannot read " + file.getKey() + ": " + e.getMessage());
            }
        }
        System.out.println("  files: " + intact + " of " + recorded.size() + " match their manifest's sha256 "
                + "(teacher, student, served graphs" + (manifest.dontCare() != null ? ", don't-care mask)" : ")"));
    }

    /** Loads the engine (a TensorRT build, or its load from the cache), runs it once, then times {@code runs}. */
    private String timed(ProductBundle bundle, Precision precision, InferenceOptions options) {
        long start = System.nanoTime();
        try (OnnxNetwork served = ServedGraph.loadTakingFrames(bundle, precision, options)) {
            long loaded = System.nanoTime();
            Scorer scorer = new Scorer(served, bundle.manifest().preprocessing());
            List<Pixels> blank = List.of(Pixels.blank(bundle.manifest().preprocessing().size()));
            scorer.infer(blank);
            long firstRun = System.nanoTime();
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                scorer.infer(blank);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(ms);
            return String.format(Locale.ROOT, "loaded in %.0f ms, first run %.0f ms, then %.1f ms an image "
                    + "(median of %d)", (loaded - start) / 1e6, (firstRun - loaded) / 1e6, ms[runs / 2], runs);
        } catch (IOException | RuntimeException e) {
            problems.add(bundle.label() + " " + precision.label() + ": engine cannot be built: " + e.getMessage());
            return "FAILED: " + e.getMessage();
        }
    }
}
