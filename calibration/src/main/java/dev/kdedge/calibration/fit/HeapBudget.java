package dev.kdedge.calibration.fit;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Locale;

/**
 * The Java heap a fit needs, checked before any image is loaded. The training images and the teacher's features of
 * each stay on the heap for the whole fit (they are reused every epoch), so a heap too small for them would otherwise
 * end in an OutOfMemoryError minutes into the fit, and inside the node scoring shares that heap.
 */
final class HeapBudget {
    /** Headroom for the JVM's and the engines' own heap use besides a fit's images. */
    private static final long BASE_BYTES = 256L << 20;
    private static final double GIB = 1 << 30;

    private HeapBudget() {}

    /**
     * Heap for a fit whose networks see each image whole: per training image its model input and teacher features,
     * the other images (held out, labeled defects) as model inputs, and two batches in flight while one is copied to
     * the training engine.
     */
    static long required(int trainImages, int otherImages, int batchSize, long inputBytes, long featureBytes) {
        return required(trainImages, otherImages, batchSize, inputBytes, 1, 0, featureBytes);
    }

    /**
     * Heap for a fit whose networks see each image in {@code tiles} tiles: per training image the image, its tiles
     * and their teacher features, the other images as images, and two batches of tiles in flight.
     *
     * @param tileBytes one tile's bytes; 0 where the networks see the image whole (one tile, the image itself)
     * @param featureBytes the teacher's features of one tile
     */
    static long required(int trainImages, int otherImages, int batchSize, long imageBytes, int tiles, long tileBytes,
            long featureBytes) {
        long perTrainImage = imageBytes + tiles * (tileBytes + featureBytes);
        long perSample = (tileBytes == 0 ? imageBytes : tileBytes) + featureBytes;
        return BASE_BYTES + trainImages * perTrainImage + otherImages * imageBytes
                + 2L * Math.min(batchSize, (long) trainImages * tiles) * perSample;
    }

    /** Refuses, naming the sizes and what to change, when {@code bytes} more would not fit in this JVM's heap. */
    static void require(long bytes, String what) {
        long available = Runtime.getRuntime().maxMemory() - retainedHeapBytes();
        if (bytes > available) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s needs about %.1f GiB of Java heap and"
                    + " %.1f GiB of this process's heap is free: fit fewer images, or raise the maximum heap (-Xmx;"
                    + " KDEDGE_JAVA_OPTS for kdedge-calibrate, JAVA_OPTS in the node's service unit)",
                    what, bytes / GIB, Math.max(0, available) / GIB));
        }
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
