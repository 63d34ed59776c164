package dev.kdedge.node.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Nice values of this JVM's threads, read from Linux's /proc. */
public final class ThreadNice {
    private static final int VISIBLE_NAME_CHARS = 15;

    private ThreadNice() {}

    public static int ofCurrentThread() throws IOException {
        return niceIn(Path.of("/proc/thread-self/stat"));
    }

    /**
     * The nice value of every thread of this process whose name starts with {@code prefix} (Linux keeps the first
     * {@value #VISIBLE_NAME_CHARS} characters of a Java thread's name).
     */
    public static List<Integer> ofThreadsNamed(String prefix) throws IOException {
        String shown = prefix.substring(0, Math.min(prefix.length(), VISIBLE_NAME_CHARS));
        List<Integer> nice = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).trim().startsWith(shown)) {
                        nice.add(niceIn(task.resolve("stat")));
                    }
                } catch (NoSuchFileException ended) {
                    // the thread ended while the list was read
                }
            }
        }
        return nice;
    }

    /** Field 19 of a stat file; the command name before it may contain spaces, so count after ')'. */
    private static int niceIn(Path stat) throws IOException {
        String line = Files.readString(stat);
        return Integer.parseInt(line.substring(line.lastIndexOf(')') + 2).split(" ")[16]);
    }
}
