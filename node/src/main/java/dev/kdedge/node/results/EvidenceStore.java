package dev.kdedge.node.results;

import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.store.AtomicFiles;
import dev.kdedge.node.inspection.EncodedFormat;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.RawImages;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images of the results that matter, kept beside the journal: every NOT_OK and NOT_DECIDABLE result's image with
 * its heatmap, and one OK result's image in {@code keepOkOneIn} (by result id), as files named by result id. Within a
 * byte budget and above a floor of free space on their file system, the oldest removed first, so the disk never fills
 * with them. Written on a thread of its own after the result is recorded: a reply never waits for an image, and an
 * image that cannot be written (a full disk) is counted and dropped, never a failure of the inspection.
 */
public final class EvidenceStore implements AutoCloseable, MeterBinder {
    private static final Logger LOG = LoggerFactory.getLogger(EvidenceStore.class);
    private static final Pattern FILE = Pattern.compile("(\\d+)(-heatmap)?\\.(png|jpg)");
    private static final String HEATMAP = "-heatmap.png";
    private static final String BUSY = "the node is writing many images at once";

    /**
     * @param keepOkOneIn one OK result's image in this many is kept; 0 keeps none
     * @param maxBytes what the kept files may take together
     * @param minFreeBytes the free space their file system keeps: below it, the oldest are removed, or nothing kept
     */
    public record Settings(Path dir, int keepOkOneIn, long maxBytes, long minFreeBytes) {}

    /** @param heatmapOverlay empty when none was kept */
    public record Kept(long resultId, byte[] image, EncodedFormat format, byte[] heatmapOverlay) {}

    private final Settings settings;
    private final ImageDecoder decoder;
    /** Result id to the bytes its files take, oldest first. */
    private final ConcurrentSkipListMap<Long, Long> kept = new ConcurrentSkipListMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final ThreadPoolExecutor files;
    /**
     * The images waiting to be written hold their messages' bytes and decoded frames: a burst of 12 MP frames is
     * bounded by these.
     */
    private final long maxQueuedBytes;
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile Counter dropped;

    private EvidenceStore(Settings settings, ImageDecoder decoder, long maxQueuedBytes, ThreadPoolExecutor files) {
        this.settings = settings;
        this.decoder = decoder;
        this.maxQueuedBytes = maxQueuedBytes;
        this.files = files;
    }

    /** Opens the directory, counting what earlier runs kept in it. */
    public static EvidenceStore open(Settings settings, ImageDecoder decoder) throws IOException {
        return open(settings, decoder, Runtime.getRuntime().maxMemory() / 8, writerThread());
    }

    /** The store's one thread: a burst of rejects beyond its queue is not kept rather than held in memory. */
    static ThreadPoolExecutor writerThread() {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(64), runnable -> {
            Thread thread = new Thread(runnable, "kdedge-evidence");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * @param maxQueuedBytes the most the images waiting to be written may hold; beyond, an image is not kept
     * @param files where images are written and read, one at a time
     */
    static EvidenceStore open(Settings settings, ImageDecoder decoder, long maxQueuedBytes, ThreadPoolExecutor files)
            throws IOException {
        EvidenceStore store = new EvidenceStore(settings, decoder, maxQueuedBytes, files);
        Files.createDirectories(settings.dir());
        try (Stream<Path> listed = Files.list(settings.dir())) {
            for (Path file : (Iterable<Path>) listed::iterator) {
                Matcher name = FILE.matcher(file.getFileName().toString());
                if (name.matches()) {
                    long size = Files.size(file);
                    store.kept.merge(Long.parseLong(name.group(1)), size, Long::sum);
                    store.bytes.addAndGet(size);
                }
            }
        }
        return store;
    }

    /** Whether a recorded result's image is worth keeping: every one that is not OK, and a sample of the OK ones. */
    boolean worthKeeping(InspectionResult result) {
        return result.resultId() > 0 && (result.evaluation() != Evaluation.OK
                || settings.keepOkOneIn() > 0 && result.resultId() % settings.keepOkOneIn() == 0);
    }

    /** Keeps the image (and heatmap) of a recorded result if it is worth keeping, later, on the store's thread. */
    public void keep(InspectionResult result, ImageInput image) {
        if (!worthKeeping(result) || image == null) {
            return;
        }
        // the image is a view of its request message's bytes, which nothing changes: held, not copied, until written;
        // so is the decoded frame its heatmap is drawn over. A shared frame is copied out of the buffer lent for its
        // call once: the frame under the heatmap is that copy, where there is one
        Optional<ImageInput> inEvidence = result.evidence().flatMap(evidence -> evidence.imageHeld(image));
        ImageInput kept = inEvidence.orElseGet(image::toKeep);
        long size = (inEvidence.isPresent() ? 0 : kept.size())
                + result.evidence().map(InspectionResult.Evidence::heldBytes).orElse(0L);
        if (queuedBytes.addAndGet(size) > maxQueuedBytes) {
            queuedBytes.addAndGet(-size);
            drop(result.resultId(), BUSY);
            return;
        }
        try {
            files.execute(() -> {
                try {
                    write(result, kept);
                } finally {
                    queuedBytes.addAndGet(-size);
                }
            });
        } catch (RejectedExecutionException busy) {
            queuedBytes.addAndGet(-size);
            drop(result.resultId(), BUSY);
        }
    }

    public boolean holds(long resultId) {
        return kept.containsKey(resultId);
    }

    /** The kept image of a result, read on the store's thread. */
    public CompletableFuture<Optional<Kept>> read(long resultId) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                for (EncodedFormat format : EncodedFormat.values()) {
                    Path image = settings.dir().resolve(resultId + "." + format.extension());
                    if (Files.exists(image)) {
                        try {
                            Path heatmap = settings.dir().resolve(resultId + HEATMAP);
                            return Optional.of(new Kept(resultId, Files.readAllBytes(image), format,
                                    Files.exists(heatmap) ? Files.readAllBytes(heatmap) : new byte[0]));
                        } catch (IOException e) {
                            throw new UncheckedIOException("the kept image of result " + resultId
                                    + " cannot be read: " + e.getMessage(), e);
                        }
                    }
                }
                return Optional.empty();
            }, files);
        } catch (RejectedExecutionException busy) {
            return CompletableFuture.failedFuture(new RejectedRequestException(Rejection.RESOURCE_EXHAUSTED,
                    "the node is busy writing images; retry later"));
        }
    }

    private void write(InspectionResult result, ImageInput image) {
        long id = result.resultId();
        byte[] encoded = image instanceof ImageInput.Encoded e ? e.copy() : null;
        Path imageFile;
        byte[] content;
        try {
            Optional<EncodedFormat> asSent = encoded == null ? Optional.empty() : EncodedFormat.of(encoded);
            content = asSent.isPresent() ? encoded : HeatmapImages.png((encoded != null ? decoder.decode(encoded)
                    : RawImages.decode(decoder, (ImageInput.Raw) image)).toImage());
            imageFile = settings.dir().resolve(id + "." + asSent.orElse(EncodedFormat.PNG).extension());
        } catch (InvalidImageException e) {
            drop(id, e.getMessage());
            return;
        }
        byte[] heatmap = result.evidence().map(evidence -> evidence.draw().data()).orElse(new byte[0]);
        long size = content.length + heatmap.length;
        if (!makeRoom(size)) {
            drop(id, "no room within journal.images.maxBytes above journal.images.minFreeBytes");
            return;
        }
        try {
            AtomicFiles.write(imageFile, content);
            if (heatmap.length > 0) {
                AtomicFiles.write(settings.dir().resolve(id + HEATMAP), heatmap);
            }
            kept.put(id, size);
            bytes.addAndGet(size);
        } catch (IOException e) {
            remove(id);
            drop(id, e.getMessage());
        }
    }

    /** Removes the oldest kept images until {@code size} more fits; false when it cannot. */
    private boolean makeRoom(long size) {
        while (bytes.get() + size > settings.maxBytes() || freeBytes() - size < settings.minFreeBytes()) {
            Map.Entry<Long, Long> oldest = kept.firstEntry();
            if (oldest == null) {
                return false;
            }
            remove(oldest.getKey());
        }
        return true;
    }

    private long freeBytes() {
        try {
            return Files.getFileStore(settings.dir()).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    private void remove(long id) {
        for (String suffix : new String[] {".png", ".jpg", HEATMAP}) {
            try {
                Files.deleteIfExists(settings.dir().resolve(id + suffix));
            } catch (IOException e) {
                LOG.warn("cannot remove the kept image {}: {}", id + suffix, e.getMessage());
            }
        }
        Long size = kept.remove(id);
        if (size != null) {
            bytes.addAndGet(-size);
        }
    }

    private void drop(long id, String why) {
        Counter counter = dropped;
        if (counter != null) {
            counter.increment();
        }
        LOG.debug("the image of result {} is not kept: {}", id, why);
    }

    /** Images kept, the bytes they take, and the ones that could not be kept. */
    @Override
    public void bindTo(MeterRegistry registry) {
        dropped = Counter.builder("kdedge.evidence.dropped")
                .description("images of results worth keeping that could not be kept").register(registry);
        Gauge.builder("kdedge.evidence.bytes", bytes, AtomicLong::get)
                .description("bytes the kept images of results take").baseUnit("bytes").register(registry);
        Gauge.builder("kdedge.evidence.images", kept, Map::size).description("results whose image is kept")
                .register(registry);
    }

    @Override
    public void close() throws InterruptedException {
        files.shutdown();
        files.awaitTermination(30, TimeUnit.SECONDS);
    }
}
