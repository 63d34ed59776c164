package dev.kdedge.node.results;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.Part;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rejected parts' raw frames kept after the reply: held as sent while they wait, with the frames their heatmaps are
 * still to be drawn over, within a bound of bytes.
 */
class EvidenceStoreTest {
    private static final int SIDE = 2048;

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Holds the store's writer busy, as a slow disk would, until counted down. */
    private final CountDownLatch disk = new CountDownLatch(1);
    private final byte[] pixels = new byte[SIDE * SIDE];

    @Test
    void framesBeyondTheQueuedBytesAreNotKeptAndTheOthersAre() throws Exception {
        EvidenceStore store = openWithTheDiskHeld();
        new Random(1).nextBytes(pixels);
        for (long id = 1; id <= 4; id++) {
            store.keep(rejected(id, Optional.empty()), frame());
        }
        assertEquals(2, dropped(), "two frames' bytes wait at most");
        disk.countDown();
        for (long id : List.of(1L, 2L)) {
            byte[] png = store.read(id).get(30, TimeUnit.SECONDS).orElseThrow().image();
            assertEquals(SIDE, new ImageDecoder(1L << 24).decode(png).width(), "result " + id + " is kept");
        }
        // once written, their bytes are free again: the next frame is kept
        store.keep(rejected(5, Optional.empty()), frame());
        store.close();
        assertTrue(!store.holds(3) && !store.holds(4) && store.holds(5));
        assertEquals(2, dropped());
    }

    @Test
    void theFrameAHeatmapIsStillToBeDrawnOverCountsAgainstTheBound() throws Exception {
        EvidenceStore store = openWithTheDiskHeld();
        byte[] overlay = {1, 2, 3};
        store.keep(rejected(1, Optional.of(evidence(overlay, Optional.empty()))), frame());
        store.keep(rejected(2, Optional.empty()), frame());
        assertEquals(1, dropped(), "the first frame and the one its heatmap is drawn over fill the bound");
        disk.countDown();
        assertArrayEquals(overlay, store.read(1).get(30, TimeUnit.SECONDS).orElseThrow().heatmapOverlay());
        store.close();
        assertTrue(!store.holds(2));
    }

    /** A shared frame's buffer is lent for its call only: the next frame is read into it while the image waits. */
    @Test
    void aSharedFramesImageIsKeptAsItWasWhenItsBufferIsReused() throws Exception {
        EvidenceStore store = openWithTheDiskHeld();
        new Random(2).nextBytes(pixels);
        ByteBuffer lent = ByteBuffer.allocateDirect(pixels.length).put(pixels).flip();
        store.keep(rejected(1, Optional.empty()),
                new ImageInput.Raw(ImageDecoder.RawFormat.GRAY8, SIDE, SIDE, 0, lent));
        lent.duplicate().put(new byte[pixels.length]);
        disk.countDown();
        byte[] png = store.read(1).get(30, TimeUnit.SECONDS).orElseThrow().image();
        assertArrayEquals(pixels, new ImageDecoder(1L << 24).decode(png).data());
        store.close();
    }

    /**
     * The copy of a shared frame that its evidence holds (the frame its heatmap is drawn over) is the image kept: the
     * frame is copied out of its lent buffer once, and counted once.
     */
    @Test
    void aSharedFrameHeldByItsEvidenceIsKeptAsThatCopyCountedOnce() throws Exception {
        EvidenceStore store = openWithTheDiskHeld();
        new Random(3).nextBytes(pixels);
        ByteBuffer lent = ByteBuffer.allocateDirect(pixels.length).put(pixels).flip();
        ImageInput.Raw image = new ImageInput.Raw(ImageDecoder.RawFormat.GRAY8, SIDE, SIDE, 0, lent);
        ImageInput.Raw held = new ImageInput.Raw(ImageDecoder.RawFormat.GRAY8, SIDE, SIDE, 0,
                ByteBuffer.wrap(pixels.clone()));
        for (long id = 1; id <= 2; id++) {
            store.keep(rejected(id, Optional.of(evidence(new byte[] {1}, Optional.of(held)))), image);
        }
        assertEquals(0, dropped(), "each holds one frame's bytes, within the bound of two");
        lent.duplicate().put(new byte[pixels.length]);
        disk.countDown();
        for (long id = 1; id <= 2; id++) {
            byte[] png = store.read(id).get(30, TimeUnit.SECONDS).orElseThrow().image();
            assertArrayEquals(pixels, new ImageDecoder(1L << 24).decode(png).data(), "result " + id);
        }
        store.close();
    }

    /** Evidence holding a frame's bytes, drawn as {@code overlay}, {@code held} the request's image as it holds it. */
    private static InspectionResult.Evidence evidence(byte[] overlay, Optional<ImageInput> held) {
        return new InspectionResult.Evidence() {
            @Override
            public InspectionResult.RenderedHeatmap draw() {
                return new InspectionResult.RenderedHeatmap(HeatmapWish.Format.PNG_OVERLAY, 1, 1, overlay);
            }

            @Override
            public long heldBytes() {
                return SIDE * SIDE;
            }

            @Override
            public Optional<ImageInput> imageHeld(ImageInput image) {
                return held;
            }
        };
    }

    /** A store that may hold two frames' bytes waiting, its writer held by {@link #disk}. */
    private EvidenceStore openWithTheDiskHeld() throws Exception {
        ThreadPoolExecutor writer = EvidenceStore.writerThread();
        EvidenceStore store = EvidenceStore.open(new EvidenceStore.Settings(dir, 0, 1L << 30, 0),
                new ImageDecoder(1L << 24), 2L * SIDE * SIDE, writer);
        store.bindTo(registry);
        writer.execute(() -> {
            try {
                disk.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return store;
    }

    private ImageInput.Raw frame() {
        return new ImageInput.Raw(ImageDecoder.RawFormat.GRAY8, SIDE, SIDE, 0,
                ByteBuffer.wrap(pixels).asReadOnlyBuffer());
    }

    private double dropped() {
        return registry.get("kdedge.evidence.dropped").counter().count();
    }

    private static InspectionResult rejected(long id, Optional<InspectionResult.Evidence> evidence) {
        return new InspectionResult(new InspectionResult.Verdict("p", 1, 1, 1, Evaluation.NOT_OK, 0.5, null, "fp32",
                new InspectionResult.StageTimes(0, 0, 0, 0, 0, 0, 1)), Optional.empty(), evidence, Part.UNNAMED, id);
    }
}
