package dev.kdedge.calibration.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a TensorRT engine is built for besides its model: the GPU, the TensorRT release and the ONNX Runtime release.
 * An engine built under one of them must never be loaded under another (TensorRT engines are not portable), so all
 * three name the engine cache's directories; where the GPU or the TensorRT release cannot be found out, engines are
 * not cached at all.
 *
 * @param gpu the GPU's model: a discrete GPU's from the NVIDIA driver, a Jetson's from the device tree
 * @param tensorRt the release of the {@code libnvinfer} the dynamic linker finds first, e.g. {@code 10.3.0}
 */
public record GpuPlatform(Optional<String> gpu, Optional<String> tensorRt, String onnxRuntime) {
    private static final Pattern NVINFER = Pattern.compile("libnvinfer\\.so\\.(\\d+\\.\\d+\\.\\d+)");
    private static final Pattern DRIVER_MODEL = Pattern.compile("(?m)^Model:\\s*(.+?)\\s*$");
    private static final List<String> LIBRARY_DIRECTORIES = List.of("/usr/lib/aarch64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu", "/usr/local/cuda/lib64", "/usr/lib64", "/usr/local/lib");

    /** This machine's, found out once. */
    public static GpuPlatform local() {
        return Local.PLATFORM;
    }

    private static final class Local {
        static final GpuPlatform PLATFORM = new GpuPlatform(detectGpu(Path.of("/proc/driver/nvidia/gpus"),
                Path.of("/proc/device-tree/model")), tensorRtIn(librarySearchPath()),
                ExecutionProvider.onnxRuntimeVersion());
    }

    /**
     * The models of the GPUs the NVIDIA driver lists under {@code driverGpus} ({@code <bus>/information}), joined
     * when there are several (an engine cache keyed by all of them is never reused on another set); else a Jetson's
     * board from {@code deviceTreeModel}.
     */
    static Optional<String> detectGpu(Path driverGpus, Path deviceTreeModel) {
        Set<String> models = new TreeSet<>();
        if (Files.isDirectory(driverGpus)) {
            try (Stream<Path> gpus = Files.list(driverGpus)) {
                for (Path information : gpus.map(gpu -> gpu.resolve("information")).toList()) {
                    Matcher model = DRIVER_MODEL.matcher(Files.readString(information, StandardCharsets.UTF_8));
                    if (model.find()) {
                        models.add(model.group(1));
                    }
                }
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        if (!models.isEmpty()) {
            return Optional.of(String.join("+", models));
        }
        try {
            String board = new String(Files.readAllBytes(deviceTreeModel), StandardCharsets.UTF_8)
                    .replace("\0", "").trim();
            return board.contains("NVIDIA") || board.contains("Jetson") ? Optional.of(board) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The release of the first {@code libnvinfer.so.X.Y.Z} in {@code directories}, searched in order. */
    static Optional<String> tensorRtIn(List<Path> directories) {
        for (Path directory : directories) {
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (Stream<Path> files = Files.list(directory)) {
                Optional<String> release = files.map(file -> NVINFER.matcher(file.getFileName().toString()))
                        .filter(Matcher::matches).map(m -> m.group(1)).max(GpuPlatform::compareReleases);
                if (release.isPresent()) {
                    return release;
                }
            } catch (IOException e) {
                // An unreadable directory has nothing the dynamic linker could load either.
            }
        }
        return Optional.empty();
    }

    /** Release numbers compared part by part: 10.3.0 after 8.6.2. */
    private static int compareReleases(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < x.length; i++) {
            int order = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
            if (order != 0) {
                return order;
            }
        }
        return 0;
    }

    /** Where the dynamic linker looks, in its order: LD_LIBRARY_PATH, then the usual system directories. */
    private static List<Path> librarySearchPath() {
        Set<String> directories = new LinkedHashSet<>();
        String ldLibraryPath = System.getenv("LD_LIBRARY_PATH");
        if (ldLibraryPath != null) {
            for (String entry : ldLibraryPath.split(":")) {
                if (!entry.isBlank()) {
                    directories.add(entry);
                }
            }
        }
        directories.addAll(LIBRARY_DIRECTORIES);
        List<Path> paths = new ArrayList<>();
        directories.forEach(d -> paths.add(Path.of(d)));
        return paths;
    }
}
