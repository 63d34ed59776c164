package dev.kdedge.node.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Puts the calling thread at the lowest CPU priority (nice 19) on Linux. Java's thread priorities do nothing there;
 * a thread's nice value does, and the threads it creates afterwards inherit it, which covers the pools PyTorch and
 * ONNX Runtime start for a fine-tune. Scoring threads then get the cores first and training takes what is left.
 */
final class BackgroundPriority {
    static final int NICE = 19;
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");

    private BackgroundPriority() {}

    /** @return false where it could not be done (not Linux, no renice); the thread then runs at normal priority */
    static boolean applyToCurrentThread() {
        try {
            if (!Files.exists(THREAD_SELF)) {
                return false;
            }
            String threadId = Files.readSymbolicLink(THREAD_SELF).getFileName().toString();
            Process renice = new ProcessBuilder("renice", "-n", Integer.toString(NICE), "-p", threadId)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return renice.waitFor(10, TimeUnit.SECONDS) && renice.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
