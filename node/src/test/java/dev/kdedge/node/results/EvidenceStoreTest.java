package dev.kdedge.node.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.node.inspection.Evaluation;
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

/** Rejected parts' raw frames kept after the reply: held as sent while they wait, within a bound of bytes. */
class EvidenceStoreTest {
    private static final int SIDE = 2048;

    @TempDir
    Path dir;

    @Test
    void framesBeyondTheQueuedBytesAreNotKeptAndTheOthersAre() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ThreadPoolExecutor writer = EvidenceStore.writerThread();
        EvidenceStore store = EvidenceStore.open(new EvidenceStore.Settings(dir, 0, 1L << 30, 0),
                new ImageDecoder(1L << 24), 2L * SIDE * SIDE, writer);
        store.bindTo(registry);
        // the writer is held busy, as by a slow disk, while four frames arrive
        CountDownLatch disk = new CountDownLatch(1);
        writer.execute(() -> {
            try {
                disk.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        byte[] pixels = new byte[SIDE * SIDE];
        new Random(1).nextBytes(pixels);
        for (long id = 1; id <= 4; id++) {
            store.keep(rejected(id), new ImageInput.Raw(ImageDecoder.RawFormat.GRAY8, SIDE, SIDE, 0,
                    ByteBuffer.wrap(pixels).asReadOnlyBuffer()));
        }
        assertEquals(2, registry.get("kdedge.evidence.dropped").counter().count(), "two frames' bytes wait at most");
        disk.countDown();
        for (long id : List.of(1L, 2L)) {
            byte[] png = store.read(id).get(30, TimeUnit.SECONDS).orElseThrow().image();
            assertEquals(SIDE, new ImageDecoder(1L << 24).decode(png).width(), "result " + id + " is kept");
        }
        // once written, their bytes are free again: the next frame is kept
        store.keep(rejected(5), new ImageInput.Raw(ImageDecoder.RawFormat.GRAY8, SIDE, SIDE, 0,
                ByteBuffer.wrap(pixels).asReadOnlyBuffer()));
        store.close();
        assertTrue(!store.holds(3) && !store.holds(4) && store.holds(5));
        assertEquals(2, registry.get("kdedge.evidence.dropped").counter().count());
    }

    private static InspectionResult rejected(long id) {
        return new InspectionResult(new InspectionResult.Verdict("p", 1, 1, 1, Evaluation.NOT_OK, 0.5, null, "fp32",
                new InspectionResult.StageTimes(0, 0, 0, 0, 0, 0, 1)), Optional.empty(), Optional.empty(),
                Part.UNNAMED, id);
    }
}
