package dev.kdedge.calibration.fit;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Locale;

/**
 * The Java heap a fit needs, checked before any image is loaded. The training images stay on the heap for the whole
 * fit, and the teacher's features of each too where the heap holds them (they are reused every epoch), so a heap too
 * small would otherwise end in an OutOfMemoryError minutes into the fit, and inside the node scoring shares that heap.
 */
final class HeapBudget {
    /** Headroom for the JVM's and the engines' own heap use besides a fit's images. */
    private static final long BASE_BYTES = 256L << 20;
    private static final double GIB = 1 << 30;

    private HeapBudget() {}

    /**
     * Heap for a fit: per training image the image (its tiles are cut when read) and, where they are kept, the
     * teacher's features of each of its tiles; the other images (held out, labeled defects); and two batches of
     * samples with their features in flight while one is copied to the training engine.
     *
     * @param tiles the tiles the networks see of each image: 1 where they see it whole
     * @param tileBytes one tile's bytes; 0 where the networks see the image whole (one tile, the image itself)
     * @param featureBytes the teacher's features of one tile
     * @param featuresKept whether the teacher's features of every tile are kept for the whole training
     */
    static long required(int trainImages, int otherImages, int batchSize, long imageBytes, int tiles, long tileBytes,
            long featureBytes, boolean featuresKept) {
        long perTrainImage = imageBytes + (featuresKept ? tiles * featureBytes : 0);
        long perSample = (tileBytes == 0 ? imageBytes : tileBytes) + featureBytes;
        return BASE_BYTES + trainImages * perTrainImage + otherImages * imageBytes
                + 2L * Math.min(batchSize, (long) trainImages * tiles) * perSample;
    }

    /** Whether {@code bytes} more fit in this JVM's heap. */
    static boolean fits(long bytes) {
        return bytes <= available();
    }

    /** Refuses, naming the sizes and what to change, when {@code bytes} more would not fit in this JVM's heap. */
    static void require(long bytes, String what) {
        long available = available();
        if (bytes > available) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s needs about %.2f GiB of Java heap and"
                    + " %.2f GiB of this process's heap is free: fit fewer images, or raise the maximum heap (-Xmx;"
                    + " KDEDGE_JAVA_OPTS for kdedge-calibrate, JAVA_OPTS in the node's service unit)",
                    what, bytes / GIB, Math.max(0, available) / GIB));
        }
    }

    private static long available() {
        return Runtime.getRuntime().maxMemory() - retainedHeapBytes();
    }

    /**
     * Heap in use outside eden. Eden holds only what was allocated since the last young collection, mostly garbage on a
     * node that is scoring, so counting it would refuse fits that fit; survivors and the old generation are what stays.
     */
    private static long retainedHeapBytes() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && !pool.getName().contains("Eden")) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }
}
