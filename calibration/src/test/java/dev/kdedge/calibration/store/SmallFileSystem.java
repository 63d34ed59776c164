package dev.kdedge.calibration.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real file system of a few megabytes (tmpfs) mounted for a test, so that a write runs out of space the way it does
 * on a device's full disk: the kernel takes part of a write, then refuses the rest. Mounting needs root, which CI
 * has; elsewhere the test is skipped outside CI and fails in it. The node's tests use it too (this module's test jar).
 */
public final class SmallFileSystem implements AutoCloseable {
    private final Path mountPoint;

    private SmallFileSystem(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    public static SmallFileSystem mount(Path mountPoint, long bytes) throws Exception {
        Files.createDirectories(mountPoint);
        if (System.getenv("CI") == null) {
            assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small tmpfs needs root");
        }
        run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", mountPoint.toString());
        return new SmallFileSystem(mountPoint);
    }

    public Path root() {
        return mountPoint;
    }

    public long usableBytes() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    @Override
    public void close() throws Exception {
        run("umount", mountPoint.toString());
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(true, process.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }
}
