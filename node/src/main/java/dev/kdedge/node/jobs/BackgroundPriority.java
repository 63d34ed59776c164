package dev.kdedge.node.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the calling thread at the lowest CPU priority (nice 19) on Linux. Java's thread priorities do nothing there;
 * a thread's nice value does, and the threads it creates afterwards inherit it, which covers the pools PyTorch and
 * ONNX Runtime start for a fine-tune or a new don't-care region. Scoring threads then get the cores first and that
 * work takes what is left. So such a thread must not be the first to use a pool the line needs: it would start the
 * pool's threads at its own priority.
 */
public final class BackgroundPriority {
    static final int NICE = 19;
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);

    private BackgroundPriority() {}

    /**
     * Daemon threads that put themselves at the lowest priority as they start, before any task, and take the name
     * {@code name} once they are there (so a thread of that name is never seen at another priority).
     *
     * @param work what the threads do, for the warning logged where the priority cannot be lowered
     */
    public static ThreadFactory threadsNamed(String name, String work) {
        return task -> {
            Thread t = new Thread(() -> {
                if (!applyToCurrentThread()) {
                    LOG.warn("{} run at normal CPU priority here (could not renice thread {})", work, name);
                }
                Thread.currentThread().setName(name);
                task.run();
            }, "kdedge-background-starting");
            t.setDaemon(true);
            return t;
        };
    }

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
