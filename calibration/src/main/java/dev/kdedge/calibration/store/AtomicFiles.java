package dev.kdedge.calibration.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Crash-safe file writes: content goes to a temporary sibling, is flushed to disk, and is renamed over the target;
 * the directory is flushed so the rename itself survives a power cut. A reader sees the old file or the new one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, written -> {});
    }

    /**
     * Writes as {@link #write(Path, byte[])} does, and runs {@code check} on the flushed temporary file before it is
     * renamed: a check that throws leaves nothing under {@code target}'s name.
     */
    public static void write(Path target, byte[] content, WrittenFileCheck check) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                // One write may take only part of the buffer (a file system running out of room does that); the
                // next one then says why.
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
                if (channel.size() != content.length) {
                    throw new IOException(temp + " holds " + channel.size() + " bytes after writing " + content.length);
                }
            } catch (IOException e) {
                throw StoreFullException.classify(e, target, content.length);
            }
            check.verify(temp);
            CrashPoints.reach(target.getFileName() + "-written");
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            CrashPoints.reach(target.getFileName() + "-renamed");
            syncDirectory(target.getParent());
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A check of a written file's bytes, as they were flushed, before the file takes its name. */
    @FunctionalInterface
    public interface WrittenFileCheck {
        void verify(Path written) throws IOException;
    }

    /** Flushes every regular file under {@code directory}, then the directory entries themselves. */
    public static void syncTree(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    try (FileChannel channel = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        channel.force(true);
                    }
                } else if (Files.isDirectory(p)) {
                    syncDirectory(p);
                }
            }
        }
    }

    public static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    public static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
