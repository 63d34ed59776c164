package dev.kdedge.calibration.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding out the GPU and the TensorRT release from the files a discrete GPU's driver and a Jetson provide. */
class GpuPlatformTest {
    @TempDir
    Path dir;

    @Test
    void aDiscreteGpuIsNamedByItsDriver() throws Exception {
        Path gpus = Files.createDirectories(dir.resolve("gpus/0000:01:00.0"));
        Files.writeString(gpus.resolve("information"), "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 16\n"
                + "GPU UUID: \t GPU-4f0c\n");
        assertEquals(Optional.of("NVIDIA H100 80GB HBM3"), GpuPlatform.detectGpu(dir.resolve("gpus"),
                dir.resolve("no-device-tree")));
        Path second = Files.createDirectories(dir.resolve("gpus/0000:02:00.0"));
        Files.writeString(second.resolve("information"), "Model: \t\t NVIDIA L4\n");
        assertEquals(Optional.of("NVIDIA H100 80GB HBM3+NVIDIA L4"), GpuPlatform.detectGpu(dir.resolve("gpus"),
                dir.resolve("no-device-tree")));
    }

    @Test
    void aJetsonIsNamedByItsDeviceTree() throws Exception {
        Path model = Files.write(dir.resolve("model"), "NVIDIA Jetson AGX Orin Developer Kit\0".getBytes());
        assertEquals(Optional.of("NVIDIA Jetson AGX Orin Developer Kit"),
                GpuPlatform.detectGpu(dir.resolve("no-driver"), model));
        Files.writeString(model, "Raspberry Pi 5 Model B Rev 1.0\0");
        assertEquals(Optional.empty(), GpuPlatform.detectGpu(dir.resolve("no-driver"), model));
        assertEquals(Optional.empty(), GpuPlatform.detectGpu(dir.resolve("no-driver"), dir.resolve("no-model")));
    }

    @Test
    void tensorRtsReleaseIsTheFirstLibnvinferTheLinkerWouldFind() throws Exception {
        Path jetpack = Files.createDirectories(dir.resolve("aarch64-linux-gnu"));
        for (String name : List.of("libnvinfer.so", "libnvinfer.so.10", "libnvinfer.so.10.3.0",
                "libnvinfer_plugin.so.10.3.0")) {
            Files.createFile(jetpack.resolve(name));
        }
        Path upgraded = Files.createDirectories(dir.resolve("tensorrt-10.7/lib"));
        Files.createFile(upgraded.resolve("libnvinfer.so.10.7.0"));
        assertEquals(Optional.of("10.3.0"), GpuPlatform.tensorRtIn(List.of(dir.resolve("missing"), jetpack, upgraded)));
        assertEquals(Optional.of("10.7.0"), GpuPlatform.tensorRtIn(List.of(upgraded, jetpack)));
        assertEquals(Optional.empty(), GpuPlatform.tensorRtIn(List.of(dir.resolve("missing"))));
        Path both = Files.createDirectories(dir.resolve("both"));
        Files.createFile(both.resolve("libnvinfer.so.8.6.2"));
        Files.createFile(both.resolve("libnvinfer.so.10.3.0"));
        assertEquals(Optional.of("10.3.0"), GpuPlatform.tensorRtIn(List.of(both)), "releases compare as numbers");
    }
}
