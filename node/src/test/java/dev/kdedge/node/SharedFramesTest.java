package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Evaluation;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.ResultImage;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.SharedFrame;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.api.v1.UploadSummary;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.Pixels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw frames a camera process on the node's machine writes to the shared frame directory and names in its request
 * (README "Shared frames"), over a real socket from grpc-java.
 */
class SharedFramesTest {
    private static final long MAX_PIXELS = 1024 * 1024;

    @TempDir
    static Path frames;
    private static RunningNode node;
    private static InspectionGrpc.InspectionBlockingStub inspection;
    private static Pixels good;
    private static Pixels defect;

    @BeforeAll
    static void start() throws Exception {
        node = new RunningNode(DemoFixture.store(), c -> {
            c.server.sharedFrameDir = frames.toString();
            c.scoring.maxImagePixels = MAX_PIXELS;
        });
        inspection = InspectionGrpc.newBlockingStub(node.channel);
        ImageDecoder decoder = new ImageDecoder(MAX_PIXELS);
        good = decoder.decodeFile(DemoFixture.sampleGood());
        defect = decoder.decodeFile(DemoFixture.sampleDefect());
        assertEquals(1, good.channels(), "the demo's frames are gray");
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
    }

    @Test
    void aSharedFrameScoresAsItsPixelsSentInTheMessageOnEveryRpc() throws Exception {
        // larger than the pieces the node reads a file in, and not a multiple of them
        Pixels frame = enlarged(good, 7);
        assertTrue(frame.data().length > 2 * 256 * 1024, frame.data().length + " bytes");
        int stride = frame.width() + 3;
        Files.write(frames.resolve("cam-1.raw"), padded(frame, stride));
        ScoreRequest shared = request(gray("cam-1.raw", frame).setStride(stride));
        double expected = scoreInMessage(frame);

        assertEquals(expected, inspection.score(shared).getVerdict().getRawScore(), 1e-9, "Score");
        assertEquals(expected, inspection.inspect(shared).next().getVerdict().getRawScore(), 1e-9, "Inspect");
        assertEquals(expected, streamed(shared).getResult().getVerdict().getRawScore(), 1e-9, "InspectStream");
        // rows packed: the buffer the node read the file into goes into the served graph as it is
        Files.write(frames.resolve("cam-1-packed.raw"), frame.data());
        assertEquals(expected, inspection.score(request(gray("cam-1-packed.raw", frame))).getVerdict().getRawScore(),
                1e-9, "Score, packed");
    }

    /** Once answered, the camera may write its next frame into the file: what the node keeps is its own copy. */
    @Test
    void whatTheNodeKeepsOfARejectedPartIsItsCopyNotTheCamerasFile() throws Exception {
        Path file = frames.resolve("cam-2.raw");
        Files.write(file, defect.data());
        Verdict rejected = inspection.score(request(gray("cam-2.raw", defect))).getVerdict();
        // the next frames, read into the buffer the rejected one was lent
        Files.write(file, good.data());
        for (int i = 0; i < 3; i++) {
            Verdict next = inspection.score(request(gray("cam-2.raw", good))).getVerdict();
            assertEquals(Evaluation.OK, next.getEvaluation());
        }
        assertEquals(Evaluation.NOT_OK, rejected.getEvaluation());
        ResultImage kept = ResultImagesTest.awaitImage(node, rejected.getResultId());
        assertArrayEquals(defect.data(), new ImageDecoder(MAX_PIXELS).decode(kept.getImage().toByteArray()).data());
    }

    @Test
    void aSharedFrameThatCannotBeReadIsRefusedSayingWhy() throws Exception {
        Files.write(frames.resolve("frame.raw"), good.data());
        SharedFrame.Builder frame = gray("frame.raw", good);
        assertRefused(Status.Code.INVALID_ARGUMENT, "must be a file name", frame.clone().setName("../frame.raw"));
        assertRefused(Status.Code.INVALID_ARGUMENT, "must be a file name", frame.clone().setName(".hidden"));
        assertRefused(Status.Code.NOT_FOUND, "no shared frame other.raw in " + frames,
                frame.clone().setName("other.raw"));
        Files.createSymbolicLink(frames.resolve("link.raw"), frames.resolve("frame.raw"));
        assertRefused(Status.Code.INVALID_ARGUMENT, "not a regular file", frame.clone().setName("link.raw"));
        assertRefused(Status.Code.INVALID_ARGUMENT, "needs " + (good.width() + 1) * good.height() + " bytes",
                frame.clone().setWidth(good.width() + 1));
        assertRefused(Status.Code.INVALID_ARGUMENT, "pixel format", frame.clone().clearFormat());
        Files.write(frames.resolve("huge.raw"), new byte[(int) (4 * MAX_PIXELS + 1)]);
        assertRefused(Status.Code.INVALID_ARGUMENT, "more than any frame this node accepts",
                frame.clone().setName("huge.raw"));
        FrameResult inStream = streamed(request(frame.clone().setName("other.raw")));
        assertEquals(Status.Code.NOT_FOUND.value(), inStream.getError().getCode(), "a stream's frame is answered");
    }

    @Test
    void aNodeWithoutASharedFrameDirectoryRefusesThemAndOneNamingNoDirectoryDoesNotStart() throws Exception {
        try (RunningNode plain = new RunningNode(DemoFixture.store(), c -> {})) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                    InspectionGrpc.newBlockingStub(plain.channel).score(request(SharedFrame.newBuilder()
                            .setName("frame.raw").setFormat(RawImage.PixelFormat.GRAY8).setWidth(1).setHeight(1))));
            assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains("server.sharedFrameDir is not set"),
                    refused.getStatus().getDescription());
        }
        Exception notStarted = assertThrows(Exception.class, () -> new RunningNode(DemoFixture.store(),
                c -> c.server.sharedFrameDir = frames.resolve("missing").toString()).close());
        assertTrue(String.valueOf(notStarted.getMessage()).contains("is not a directory"), notStarted.toString());
    }

    /**
     * A camera process written with Python's grpcio streams eight frames through a ring of two files, writing a file
     * again only once the result of the frame it held has come: every frame scores as its pixels do.
     */
    @Test
    void aPythonCameraStreamsFramesThroughARingOfFiles(@TempDir Path dir) throws Exception {
        PythonGrpc.generateStubs(Files.createDirectory(dir.resolve("stubs")));
        Path goodRaw = Files.write(dir.resolve("good.raw"), good.data());
        Path defectRaw = Files.write(dir.resolve("defect.raw"), defect.data());
        Map<Long, Double> expected = new HashMap<>();
        List<String> args = new ArrayList<>(List.of(dir.resolve("stubs").toString(), "127.0.0.1:" + node.server.port(),
                DemoFixture.PRODUCT, frames.toString(), "2", Integer.toString(good.width()),
                Integer.toString(good.height())));
        for (long id = 1; id <= 8; id++) {
            Pixels frame = id % 3 == 0 ? defect : good;
            args.add((frame == defect ? defectRaw : goodRaw).toString());
            expected.put(id, scoreInMessage(frame));
        }
        PythonGrpc.Result camera = PythonGrpc.runScript("shared_frame_camera.py", args);
        assertEquals(0, camera.exitCode(), camera.output());
        Map<Long, Double> scored = new HashMap<>();
        for (String line : camera.output().lines().toList()) {
            JsonNode result = new ObjectMapper().readTree(line);
            assertTrue(result.has("raw_score"), line);
            scored.put(result.get("frame_id").asLong(), result.get("raw_score").asDouble());
        }
        assertEquals(expected.keySet(), scored.keySet(), camera.output());
        expected.forEach((id, score) -> assertEquals(score, scored.get(id), 1e-9, "frame " + id));
    }

    @Test
    void normalsMayBeUploadedAsSharedFrames(@TempDir Path dir) throws Exception {
        byte[] normal = good.data().clone();
        normal[0] ^= 1;
        Files.write(frames.resolve("normal.raw"), normal);
        try (RunningNode engineer = new RunningNode(DemoFixture.copyOfStore(dir.resolve("store")), c -> {
            c.models.enabled = true;
            c.server.sharedFrameDir = frames.toString();
        })) {
            UploadSummary summary = ModelsApiTest.upload(engineer.channel, List.of(
                    upload(gray("normal.raw", good)), upload(gray("gone.raw", good))));
            assertEquals(1, summary.getAccepted());
            assertEquals("gone.raw", summary.getRejected(0).getName());
            assertTrue(summary.getRejected(0).getReason().contains("no shared frame gone.raw"),
                    summary.getRejected(0).getReason());
        }
    }

    /** The raw score of gray pixels sent in the message. */
    private static double scoreInMessage(Pixels gray) {
        return inspection.score(ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder()
                .setRaw(RawImage.newBuilder().setFormat(RawImage.PixelFormat.GRAY8).setWidth(gray.width())
                        .setHeight(gray.height()).setPixels(ByteString.copyFrom(gray.data())))).build())
                .getVerdict().getRawScore();
    }

    private static SharedFrame.Builder gray(String name, Pixels size) {
        return SharedFrame.newBuilder().setName(name).setFormat(RawImage.PixelFormat.GRAY8).setWidth(size.width())
                .setHeight(size.height());
    }

    private static UploadRequest upload(SharedFrame.Builder frame) {
        return UploadRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setName(frame.getName())
                .setImage(Image.newBuilder().setShared(frame)).build();
    }

    private static ScoreRequest request(SharedFrame.Builder frame) {
        return ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder().setShared(frame))
                .build();
    }

    /** {@code gray}, each pixel {@code factor} x {@code factor} pixels. */
    private static Pixels enlarged(Pixels gray, int factor) {
        int width = gray.width() * factor;
        byte[] pixels = new byte[width * gray.height() * factor];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = gray.data()[(i / width / factor) * gray.width() + (i % width) / factor];
        }
        return new Pixels(width, gray.height() * factor, 1, pixels);
    }

    private static byte[] padded(Pixels gray, int stride) {
        byte[] rows = new byte[stride * gray.height()];
        Arrays.fill(rows, (byte) 0x5a);
        for (int y = 0; y < gray.height(); y++) {
            System.arraycopy(gray.data(), y * gray.width(), rows, y * stride, gray.width());
        }
        return rows;
    }

    private static FrameResult streamed(ScoreRequest request) throws Exception {
        CompletableFuture<FrameResult> result = new CompletableFuture<>();
        StreamObserver<FrameRequest> frames = InspectionGrpc.newStub(node.channel).inspectStream(
                new StreamObserver<>() {
                    @Override
                    public void onNext(FrameResult value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.completeExceptionally(new AssertionError("the stream ended without a result"));
                    }
                });
        frames.onNext(FrameRequest.newBuilder().setFrameId(7).setRequest(request).build());
        FrameResult answered = result.get(60, TimeUnit.SECONDS);
        frames.onCompleted();
        assertEquals(7, answered.getFrameId());
        return answered;
    }

    private static void assertRefused(Status.Code code, String messagePart, SharedFrame.Builder frame) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> inspection.score(request(frame)));
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(messagePart),
                "'" + e.getStatus().getDescription() + "' should mention '" + messagePart + "'");
    }
}
