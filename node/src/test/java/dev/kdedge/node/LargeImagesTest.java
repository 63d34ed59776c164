package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images that are cheap to send and costly to decode (a small progressive JPEG declaring millions of pixels) are
 * decoded in their own lane: a burst of them does not hold the scoring workers, so an ordinary frame sent meanwhile is
 * scored while they wait for each other, and a burst beyond the lane's queue is refused, not queued. An image of
 * extreme proportions is resized in memory of its own size.
 */
class LargeImagesTest {
    private static final int SIDE = 3000;
    /**
     * README, "Inspection API": with the default settings, the images being decoded and waiting hold at most about
     * 1.1 GB; a node given a heap of that size never runs out of it, and its native memory comes on top.
     */
    private static final String HEAP_FOR_IMAGES = "1g";
    /**
     * The heap, plus in native memory what the served graph holds while it resizes such columns (a copy of the pixels
     * and ONNX Runtime's filter tables, three columns at once): measured 1.54 GB (1.25-1.3 GB when Java resized them).
     */
    private static final long RESIDENT_BOUND_BYTES = 1792L << 20;

    @TempDir
    Path dir;

    @Test
    void aBurstOfCostlyDecodesDoesNotDelayAnOrdinaryFrame() throws Exception {
        byte[] large = progressiveJpeg(SIDE);
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {
            c.server.maxMessageBytes = 64L * 1024 * 1024;
            c.scoring.maxQueuedLargeImages = 3;
        })) {
            InspectionGrpc.InspectionStub async = InspectionGrpc.newStub(node.channel)
                    .withDeadlineAfter(5, TimeUnit.MINUTES);
            ScoreRequest largeRequest = ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                    .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(large))).build();
            AtomicInteger largeDone = new AtomicInteger();
            List<CompletableFuture<Status.Code>> larges = new ArrayList<>();
            // One decoding and three waiting fill the lane; the fifth and sixth are refused at once.
            for (int i = 0; i < 6; i++) {
                CompletableFuture<Status.Code> status = ScoreCalls.status(async, largeRequest);
                status.thenAccept(code -> {
                    if (code == Status.Code.OK) {
                        largeDone.incrementAndGet();
                    }
                });
                larges.add(status);
            }
            long start = System.nanoTime();
            var verdict = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).getVerdict();
            long smallMs = (System.nanoTime() - start) / 1_000_000;
            int largeBeforeSmall = largeDone.get();

            List<Status.Code> codes = new ArrayList<>();
            for (CompletableFuture<Status.Code> status : larges) {
                codes.add(status.get(5, TimeUnit.MINUTES));
            }
            System.out.printf("ordinary frame scored in %d ms with %d of 4 large images done; large: %s%n", smallMs,
                    largeBeforeSmall, codes);
            assertEquals(DemoFixture.PRODUCT, verdict.getProduct());
            assertTrue(largeBeforeSmall <= 1, "the ordinary frame waited for " + largeBeforeSmall + " large decodes");
            assertEquals(4, codes.stream().filter(c -> c == Status.Code.OK).count(), codes.toString());
            assertEquals(2, codes.stream().filter(c -> c == Status.Code.RESOURCE_EXHAUSTED).count(), codes.toString());
        }
    }

    /**
     * A column one pixel wide and 12 million high (within the pixel limit) as a PNG of a few kilobytes and as raw
     * GRAY8: each is scored. Resized the way Pillow orders its passes it needed 256 x 12 million floats (12 GB) and
     * answered INTERNAL with an OutOfMemoryError.
     */
    @Test
    void aColumnOfTwelveMillionPixelsIsScoredInMemoryOfItsOwnSize() throws Exception {
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            InspectionGrpc.InspectionBlockingStub inspection = InspectionGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(2, TimeUnit.MINUTES);
            for (Image image : columnAsPngAndRaw()) {
                var verdict = inspection.score(ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                        .setImage(image).build()).getVerdict();
                assertEquals(DemoFixture.PRODUCT, verdict.getProduct());
            }
        }
    }

    /**
     * Sixteen such columns at once, eight as PNG and eight raw, against the node in its own JVM with half the heap it
     * runs with in production: every call is answered, scored or refused RESOURCE_EXHAUSTED by a full lane or queue,
     * none INTERNAL (an OutOfMemoryError), and the node's peak resident memory stays under the bound. Before the
     * resize was bounded, eight PNG columns at once answered five OutOfMemoryErrors with 2 GB; with 600 MB of heap
     * this test fails.
     */
    @Test
    void sixteenColumnsAtOnceStayWithinTheStatedMemoryBound() throws Exception {
        List<Image> column = columnAsPngAndRaw();
        Path config = Files.writeString(dir.resolve("node.yaml"),
                "server:\n  host: 127.0.0.1\n  plaintext: true\nmetrics:\n  enabled: false\n");
        try (NodeProcess node = new NodeProcess(config, DemoFixture.copyOfStore(dir.resolve("store")), null, HEAP_FOR_IMAGES)) {
            node.score();
            long before = node.residentBytes();
            InspectionGrpc.InspectionStub async = InspectionGrpc.newStub(node.channel)
                    .withDeadlineAfter(5, TimeUnit.MINUTES);
            List<CompletableFuture<Status.Code>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                for (Image image : column) {
                    calls.add(ScoreCalls.status(async, ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                            .setImage(image).build()));
                }
            }
            List<Status.Code> codes = new ArrayList<>();
            for (CompletableFuture<Status.Code> call : calls) {
                codes.add(call.get(5, TimeUnit.MINUTES));
            }
            long peak = node.peakResidentBytes();
            System.out.printf("16 columns at once: %s; resident before %d MiB, peak %d MiB%n", codes,
                    before >> 20, peak >> 20);
            assertTrue(codes.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.RESOURCE_EXHAUSTED),
                    codes.toString());
            assertTrue(codes.stream().filter(c -> c == Status.Code.OK).count() >= 2, codes.toString());
            assertTrue(peak < RESIDENT_BOUND_BYTES, "peak resident memory " + (peak >> 20) + " MiB");
            node.score();
        }
    }

    /** A black column one pixel wide and 12 million high (within the pixel limit), as a PNG and as raw GRAY8. */
    private static List<Image> columnAsPngAndRaw() throws Exception {
        int height = 12_000_000;
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(1, height, BufferedImage.TYPE_BYTE_GRAY), "png", png);
        return List.of(Image.newBuilder().setEncoded(ByteString.copyFrom(png.toByteArray())).build(),
                Image.newBuilder().setRaw(RawImage.newBuilder().setFormat(RawImage.PixelFormat.GRAY8).setWidth(1)
                        .setHeight(height).setPixels(ByteString.copyFrom(new byte[height]))).build());
    }

    /** A flat gray progressive JPEG: a few kilobytes that declare {@code side}^2 pixels. */
    private static byte[] progressiveJpeg(int side) throws Exception {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
