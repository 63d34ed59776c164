package dev.kdedge.calibration.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.calibration.dataset.ImageFolders;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.PixelView;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.OperatorSetIdProto;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served graph's front ({@link FrameInput}) against the fit's preprocessing ({@link Preprocessing#apply}) on real
 * images: gray, color in both channel orders, shrunk, enlarged, wide, tall and camera-sized.
 */
class FrameInputTest {
    private static final InferenceOptions CPU = InferenceOptions.cpu(1);
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;
    private final ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);

    @Test
    void theFrontComputesTheFitsPreprocessingOnRealImagesWithinOneLevel() throws Exception {
        FrameBuffers buffers = new FrameBuffers();
        List<Pixels> gray = magneticTiles(12);
        List<Pixels> frames = new ArrayList<>(gray);
        Pixels rgb = color(gray.get(0), gray.get(1), gray.get(2), false);
        frames.add(rgb);
        frames.add(color(gray.get(0), gray.get(1), gray.get(2), true));
        frames.add(mosaic(gray.get(3), 6, 3));
        for (Preprocessing preprocessing : List.of(Preprocessing.imagenet(Extent.square(256)),
                Preprocessing.unitRange(Extent.square(128)), Preprocessing.imagenet(Extent.square(736)),
                Preprocessing.imagenet(new Extent(512, 224)), Preprocessing.imagenet(new Extent(96, 320)))) {
            double levels = FrameInput.levelsApart(preprocessing, frames, CPU);
            System.out.printf("frame input at %s px: %.3g levels apart at most over %d real frames%n",
                    preprocessing.size(), levels, frames.size());
            assertTrue(FrameInput.withinBound(levels), preprocessing.size() + " px: " + levels + " levels apart");
        }
        try (OnnxNetwork front = OnnxNetwork.load(
                FrameInput.front(Preprocessing.imagenet(Extent.square(256))).toByteArray(), "front", CPU)) {
            long differing = 0;
            long values = 0;
            for (Pixels frame : frames) {
                float[] inGraph = FrameInput.run(front, List.of(frame), buffers).get(0).data();
                float[] reference = Preprocessing.imagenet(Extent.square(256)).apply(frame).data();
                for (int i = 0; i < reference.length; i++) {
                    differing += inGraph[i] == reference[i] ? 0 : 1;
                }
                values += reference.length;
            }
            System.out.printf("frame input at 256 px: %d of %d model input values differ from Java's%n", differing,
                    values);
            assertTrue(differing < values / 1000, differing + " of " + values + " values differ");
        }
        // the same colors in either order are the same model input
        try (OnnxNetwork front = OnnxNetwork.load(
                FrameInput.front(Preprocessing.imagenet(Extent.square(64))).toByteArray(), "front", CPU)) {
            Pixels bgr = color(gray.get(0), gray.get(1), gray.get(2), true);
            assertArrayEquals(FrameInput.run(front, List.of(rgb), buffers).get(0).data(),
                    FrameInput.run(front, List.of(bgr), buffers).get(0).data());
            // a batch of frames of one layout gives each frame's own input, and so does a frame alone after it, run
            // through the batch's (larger) buffer again
            Pixels other = color(gray.get(2), gray.get(0), gray.get(1), false);
            float[] batch = FrameInput.run(front, List.of(rgb, other), buffers).get(0).data();
            float[] alone = FrameInput.run(front, List.of(other), buffers).get(0).data();
            for (int i = 0; i < alone.length; i++) {
                assertEquals(alone[i], batch[alone.length + i], "value " + i + " of the second frame");
            }
            // a frame in a direct buffer (a shared frame as the node reads it) or in a view of a message's bytes gives
            // what its array gives: alone (the direct buffer read in place) and copied into a batch beside others
            PixelView direct = view(other, ByteBuffer.allocateDirect(other.data().length + 5));
            PixelView inMessage = view(other, ByteBuffer.allocate(other.data().length + 5));
            for (PixelView view : List.of(direct, inMessage)) {
                assertArrayEquals(alone, FrameInput.run(front, List.of(view), buffers).get(0).data());
                assertArrayEquals(batch, FrameInput.run(front, List.of(rgb, view), buffers).get(0).data());
                assertArrayEquals(other.data(), view.onHeap().data());
            }
        }
    }

    /** {@code frame}'s pixels in {@code memory}, five bytes into it, as a message's bytes would be. */
    private static PixelView view(Pixels frame, ByteBuffer memory) {
        ByteBuffer pixels = memory.position(5).slice().put(frame.data()).flip();
        return new PixelView(frame.width(), frame.height(), frame.channels(), pixels, frame.bgr());
    }

    @Test
    void theServedGraphTakingFramesScoresAsTheFitsGraphOnJavaPreprocessedImages() throws Exception {
        ProductBundle bundle = DemoFixture.bundle();
        Preprocessing preprocessing = bundle.manifest().preprocessing();
        List<Pixels> frames = new ArrayList<>();
        try (Stream<Path> files = Files.list(DemoFixture.testSet().resolve("test").resolve("good"))) {
            for (Path file : files.sorted().limit(4).toList()) {
                frames.add(decoder.decodeFile(file));
            }
        }
        try (OnnxNetwork asWritten = ServedGraph.load(bundle, Precision.FP32, CPU);
                OnnxNetwork takingFrames = ServedGraph.loadTakingFrames(bundle, Precision.FP32, CPU)) {
            assertEquals(List.of(FrameInput.FRAME, FrameInput.CHANNELS), takingFrames.inputNames());
            // a graph written before opset 18 (a version fitted before frames went into the graph) stays as it is
            ModelProto older = ModelProto.newBuilder().addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                    .build();
            assertTrue(FrameInput.prepend(older, preprocessing).isEmpty());
            Scorer java = new Scorer(asWritten, preprocessing);
            Scorer inGraph = new Scorer(takingFrames, preprocessing);
            for (Pixels frame : frames) {
                AnomalyMap expected = java.anomalyMap(java.infer(preprocessing.apply(frame)), 0);
                AnomalyMap actual = inGraph.anomalyMap(inGraph.infer(List.of(frame)), 0);
                assertEquals(expected.score(), actual.score(), 1e-3 * Math.abs(expected.score()));
                // the same frame through the graph as it was written, preprocessed in Java by the scorer
                assertEquals(expected.score(), java.anomalyMap(java.infer(List.of(frame)), 0).score(), 0);
            }
        }
    }

    /**
     * The fit's resize ({@link Resampling#resizeImage}) and the front's against Pillow's own (Debian's python3-pil),
     * which the official code's transforms call, on real images of several shapes, gray and color: the fit's equal
     * to Pillow's pixels, the front's within one level of them and equal nearly everywhere.
     */
    @Test
    void theFitsResizeAndTheFrontsAreThoseOfPillow() throws Exception {
        FrameBuffers buffers = new FrameBuffers();
        if (System.getenv("CI") == null) {
            assumeTrue(new ProcessBuilder(PYTHON.toString(), "-c", "import PIL").start().waitFor() == 0,
                    "Debian's python3-pil is not installed");
        }
        List<Pixels> gray = magneticTiles(6);
        List<Pixels> frames = new ArrayList<>(gray);
        frames.add(color(gray.get(0), gray.get(1), gray.get(2), false));
        frames.add(mosaic(gray.get(3), 6, 3));
        // wider than tall, so an axis mixed up anywhere cannot pass
        Extent size = new Extent(320, 192);
        List<String> files = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            Path png = dir.resolve(i + ".png");
            ImageIO.write(frames.get(i).toImage(), "png", png.toFile());
            files.add(png.toString());
        }
        Path fixture = dir.resolve("resize.json");
        new ObjectMapper().writeValue(fixture.toFile(),
                Map.of("width", size.width(), "height", size.height(), "images", files));
        Process python = new ProcessBuilder(PYTHON.toString(),
                Path.of(System.getProperty("kdedge.testPython"), "reference_resize.py").toString(), fixture.toString())
                .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes());
        assertTrue(python.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, python.exitValue(), output);
        Preprocessing levels = Preprocessing.unitRange(size);
        try (OnnxNetwork front = OnnxNetwork.load(FrameInput.front(levels).toByteArray(), "front", CPU)) {
            for (int i = 0; i < frames.size(); i++) {
                Pixels frame = frames.get(i);
                byte[] pillow = Files.readAllBytes(Path.of(fixture + "." + i + ".raw"));
                float[] inGraph = FrameInput.run(front, List.of(frame), buffers).get(0).data();
                int plane = size.area();
                int javaApart = 0;
                int frontApart = 0;
                for (int c = 0; c < frame.channels(); c++) {
                    float[] java = Resampling.resizeImage(frame.plane(c), frame.width(), frame.height(), size.width(),
                            size.height());
                    for (int p = 0; p < plane; p++) {
                        int expected = pillow[p * frame.channels() + c] & 0xff;
                        int javaLevel = Math.round(java[p]);
                        int frontLevel = Math.round(inGraph[c * plane + p] * 255);
                        assertTrue(Math.abs(javaLevel - expected) <= 1 && Math.abs(frontLevel - expected) <= 1,
                                "frame " + i + " at " + p + ": Pillow " + expected + ", Java " + javaLevel
                                        + ", front " + frontLevel);
                        javaApart += javaLevel == expected ? 0 : 1;
                        frontApart += frontLevel == expected ? 0 : 1;
                    }
                }
                System.out.printf("%dx%d (%d channels) to %s px: Java %d, front %d of %d values apart from Pillow%n",
                        frame.width(), frame.height(), frame.channels(), size, javaApart, frontApart,
                        plane * frame.channels());
                assertEquals(0, javaApart, "frame " + i + ": the fit's resize is Pillow's");
                assertTrue(frontApart <= plane * frame.channels() / 500, "frame " + i + ": " + frontApart
                        + " values apart");
            }
        }
    }

    private List<Pixels> magneticTiles(int count) throws Exception {
        Path data = Path.of(System.getProperty("kdedge.shared", "../shared")).resolve("data/magnetic-tile/test");
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isDirectory(data), "../shared is not beside this checkout");
        }
        List<Path> files = new ArrayList<>(ImageFolders.list(data.resolve("crack")));
        files.addAll(ImageFolders.list(data.resolve("break")));
        List<Pixels> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(decoder.decodeFile(files.get(i * files.size() / count)));
        }
        return images;
    }

    /** Three gray images (cropped to the smallest) as the red, green and blue of one color image. */
    private static Pixels color(Pixels red, Pixels green, Pixels blue, boolean bgr) {
        int w = Math.min(red.width(), Math.min(green.width(), blue.width()));
        int h = Math.min(red.height(), Math.min(green.height(), blue.height()));
        byte[] data = new byte[w * h * 3];
        Pixels[] channels = bgr ? new Pixels[] {blue, green, red} : new Pixels[] {red, green, blue};
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    data[(y * w + x) * 3 + c] = channels[c].data()[y * channels[c].width() + x];
                }
            }
        }
        return new Pixels(w, h, 3, data, bgr);
    }

    /** A camera-sized gray frame: {@code image} repeated {@code columns} x {@code rows} times. */
    private static Pixels mosaic(Pixels image, int columns, int rows) {
        int w = image.width() * columns;
        int h = image.height() * rows;
        byte[] data = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int c = 0; c < columns; c++) {
                System.arraycopy(image.data(), (y % image.height()) * image.width(), data, y * w + c * image.width(),
                        image.width());
            }
        }
        return new Pixels(w, h, 1, data);
    }
}
