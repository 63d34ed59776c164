package dev.kdedge.calibration.engine;

import ai.djl.engine.Engine;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DJL's PyTorch engine (training, autograd), with two of libtorch's switches set the way PyTorch's Python API sets
 * them, which DJL does not expose: NNPACK off ({@code torch.backends.nnpack.set_flags(False)}) and C++ messages below
 * {@code TORCH_CPP_LOG_LEVEL} (default ERROR) dropped. NNPACK is never the convolution PyTorch picks on our CPU path
 * (oneDNN is, for float32), but asking whether it could be printed "Could not initialize NNPACK! Reason: Unsupported
 * hardware" on CPUs it does not know, and DJL's own calls print a deprecation warning: lines a user cannot act on.
 *
 * <p>Python's torch calls {@code c10::initLogging()}, which reads {@code TORCH_CPP_LOG_LEVEL}; DJL never does, so the
 * level is written to libc10's {@code FLAGS_caffe2_log_level} here. Both libraries are found where DJL loaded them
 * ({@code /proc/self/maps}): opening the same file again returns the same library, and so the same globals.
 */
public final class PyTorchEngine {
    private static final Logger log = LoggerFactory.getLogger(PyTorchEngine.class);
    private static final String[] LOG_LEVELS = {"INFO", "WARNING", "ERROR", "FATAL"};
    private static Engine engine;

    private PyTorchEngine() {}

    /** The PyTorch engine, loaded and switched on the first call. */
    public static synchronized Engine get() {
        if (engine == null) {
            engine = Engine.getEngine("PyTorch");
            setSwitches();
        }
        return engine;
    }

    /** Whether libtorch would consider NNPACK for a convolution (false once {@link #get} has run). */
    static boolean nnpackEnabled() {
        get();
        NativeLibrary torch = NativeLibrary.getInstance(loaded("libtorch_cpu.so").orElseThrow().toString());
        Pointer context = torch.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        return (torch.getFunction("_ZNK2at7Context17userEnabledNNPACKEv").invokeInt(new Object[] {context}) & 0xff)
                != 0;
    }

    /** libc10's threshold for C++ messages: 0 INFO, 1 WARNING, 2 ERROR, 3 FATAL. */
    static int cppLogLevel() {
        get();
        return NativeLibrary.getInstance(loaded("libc10.so").orElseThrow().toString())
                .getGlobalVariableAddress("FLAGS_caffe2_log_level").getInt(0);
    }

    private static void setSwitches() {
        Optional<Path> c10 = loaded("libc10.so");
        Optional<Path> torch = loaded("libtorch_cpu.so");
        if (c10.isEmpty() || torch.isEmpty()) {
            log.debug("libtorch's libraries were not found in /proc/self/maps; its switches stay as they are");
            return;
        }
        try {
            NativeLibrary.getInstance(c10.get().toString()).getGlobalVariableAddress("FLAGS_caffe2_log_level")
                    .setInt(0, cppLogLevel(System.getenv("TORCH_CPP_LOG_LEVEL")));
            NativeLibrary library = NativeLibrary.getInstance(torch.get().toString());
            Pointer context = library.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
            Function setNnpack = library.getFunction("_ZN2at7Context20setUserEnabledNNPACKEb");
            setNnpack.invokeVoid(new Object[] {context, Boolean.FALSE});
        } catch (UnsatisfiedLinkError e) {
            // another libtorch build without these symbols: its messages are noise, not a failure
            log.debug("libtorch's switches could not be set: {}", e.getMessage());
        }
    }

    /** TORCH_CPP_LOG_LEVEL as Python's torch reads it (a name or its number); unset or unknown: ERROR. */
    static int cppLogLevel(String setting) {
        if (setting != null) {
            String value = setting.trim().toUpperCase(Locale.ROOT);
            for (int level = 0; level < LOG_LEVELS.length; level++) {
                if (value.equals(LOG_LEVELS[level]) || value.equals(Integer.toString(level))) {
                    return level;
                }
            }
        }
        return 2;
    }

    private static Optional<Path> loaded(String library) {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(file -> file.endsWith("/" + library)).findFirst().map(Path::of);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
