package dev.kdedge.calibration.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The store's file system had no room for a write. Nothing was kept under the file's name; what the operator must
 * do is in the message. Not a {@link StoreException}: the store is sound, the disk is full.
 */
public final class StoreFullException extends IOException {
    private StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * {@code failure}, from writing {@code bytes} bytes to {@code target}, as a StoreFullException when the file system
     * is out of space (the system said so, or less room is left than the write needed); otherwise {@code failure}.
     */
    public static IOException classify(IOException failure, Path target, long bytes) {
        String reason = String.valueOf(failure.getMessage());
        long usable;
        try {
            usable = Files.getFileStore(target.getParent()).getUsableSpace();
        } catch (IOException e) {
            usable = -1;
        }
        boolean full = reason.contains("No space left on device") || reason.contains("Disk quota exceeded")
                || (usable >= 0 && usable < bytes);
        if (!full) {
            return failure;
        }
        return new StoreFullException("the model store's file system is full: writing " + target.getFileName() + " ("
                + bytes + " bytes) in " + target.getParent() + " failed with " + (usable < 0 ? "unknown" : usable)
                + " bytes free; nothing was kept. Free space on it (uploads or versions no longer needed) or give the"
                + " store a larger file system, then send it again", failure);
    }
}
