package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectResponse;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.calibration.store.ModelStore;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Inspection API over a real socket, from grpc-java: every RPC shape, heatmap format and error status. */
class InspectionApiTest {
    private static final long MAX_MESSAGE = 2 * 1024 * 1024;
    private static final long MAX_PIXELS = 1024 * 1024;
    private static RunningNode node;
    private static InspectionGrpc.InspectionBlockingStub inspection;

    @BeforeAll
    static void start() throws Exception {
        node = new RunningNode(DemoFixture.store(), c -> {
            c.server.maxMessageBytes = MAX_MESSAGE;
            c.scoring.maxImagePixels = MAX_PIXELS;
        });
        inspection = InspectionGrpc.newBlockingStub(node.channel);
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
    }

    private static ScoreRequest.Builder request(byte[] encoded) {
        return ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(encoded)));
    }

    private static byte[] good() throws Exception {
        return Files.readAllBytes(DemoFixture.sampleGood());
    }

    private static StatusRuntimeException failure(ScoreRequest request) {
        return assertThrows(StatusRuntimeException.class, () -> inspection.score(request));
    }

    @Test
    void scoreGivesTheBundlesVerdictOnBothSamples() throws Exception {
        var bundle = new ModelStore(DemoFixture.store()).activeBundle(DemoFixture.PRODUCT);
        double threshold = bundle.manifest().threshold().calibration().threshold();

        Verdict ok = inspection.score(request(good()).build()).getVerdict();
        Verdict defect = inspection.score(request(Files.readAllBytes(DemoFixture.sampleDefect())).build()).getVerdict();

        assertEquals(DemoFixture.PRODUCT, ok.getProduct());
        assertEquals(Integer.toString(bundle.version()), ok.getModelVersion());
        assertEquals(threshold, ok.getThreshold(), 0);
        assertFalse(ok.getIsAnomalous(), "good sample flagged: " + ok);
        assertTrue(ok.getNormalizedScore() < 0.5);
        assertTrue(defect.getIsAnomalous(), "defect sample missed: " + defect);
        assertTrue(defect.getNormalizedScore() >= 0.5);
        assertTrue(defect.getRawScore() >= threshold);
        assertTrue(ok.getTimings().getInferenceMs() > 0 && ok.getTimings().getTotalMs() >= ok.getTimings().getInferenceMs());
    }

    @Test
    void rawPixelsWithStrideScoreLikeTheSameImageAsPng() throws Exception {
        BufferedImage image = ImageIO.read(DemoFixture.sampleGood().toFile());
        int w = image.getWidth();
        int h = image.getHeight();
        int stride = w + 3;
        byte[] raw = new byte[stride * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raw[y * stride + x] = (byte) image.getRaster().getSample(x, y, 0);
            }
        }
        ScoreRequest rawRequest = ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                .setImage(Image.newBuilder().setRaw(RawImage.newBuilder().setFormat(RawImage.PixelFormat.GRAY8)
                        .setWidth(w).setHeight(h).setStride(stride).setPixels(ByteString.copyFrom(raw))))
                .build();
        assertEquals(inspection.score(request(good()).build()).getVerdict().getRawScore(),
                inspection.score(rawRequest).getVerdict().getRawScore(), 1e-9);
    }

    /**
     * A color frame scores the same sent as RGB8, as BGR8 (the served graph reads its channels in that order) or as a
     * PNG; the same bytes read in the other order are another image.
     */
    @Test
    void colorFramesScoreAlikeWhateverTheirChannelOrder() throws Exception {
        BufferedImage image = ImageIO.read(DemoFixture.sampleGood().toFile());
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage color = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        byte[] rgb = new byte[w * h * 3];
        byte[] bgr = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = image.getRaster().getSample(x, y, 0);
                int[] channels = {v, 255 - v, v / 2};
                color.setRGB(x, y, channels[0] << 16 | channels[1] << 8 | channels[2]);
                for (int c = 0; c < 3; c++) {
                    rgb[(y * w + x) * 3 + c] = (byte) channels[c];
                    bgr[(y * w + x) * 3 + c] = (byte) channels[2 - c];
                }
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(color, "png", png);
        double fromPng = inspection.score(request(png.toByteArray()).build()).getVerdict().getRawScore();
        assertEquals(fromPng, rawScore(RawImage.PixelFormat.RGB8, w, h, rgb), 0);
        assertEquals(fromPng, rawScore(RawImage.PixelFormat.BGR8, w, h, bgr), 0);
        assertNotEquals(fromPng, rawScore(RawImage.PixelFormat.RGB8, w, h, bgr));
    }

    private double rawScore(RawImage.PixelFormat format, int w, int h, byte[] pixels) {
        return inspection.score(ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder()
                .setRaw(RawImage.newBuilder().setFormat(format).setWidth(w).setHeight(h)
                        .setPixels(ByteString.copyFrom(pixels)))).build()).getVerdict().getRawScore();
    }

    @Test
    void heatmapsComeInTheRequestedFormatAndSize() throws Exception {
        ScoreResponse gray = inspection.score(request(good()).setHeatmap(HeatmapOptions.newBuilder()
                .setFormat(HeatmapOptions.Format.PNG_GRAY).setWidth(100).setHeight(50)).build());
        BufferedImage grayPng = ImageIO.read(new ByteArrayInputStream(gray.getHeatmap().getData().toByteArray()));
        assertEquals(100, grayPng.getWidth());
        assertEquals(50, grayPng.getHeight());
        assertEquals(1, grayPng.getColorModel().getNumColorComponents());

        ScoreResponse overlay = inspection.score(request(good()).setHeatmap(HeatmapOptions.newBuilder()
                .setFormat(HeatmapOptions.Format.PNG_OVERLAY)).build());
        BufferedImage overlayPng = ImageIO.read(new ByteArrayInputStream(overlay.getHeatmap().getData().toByteArray()));
        assertEquals(128, overlayPng.getWidth());
        assertEquals(3, overlayPng.getColorModel().getNumColorComponents());

        ScoreResponse raw = inspection.score(request(good()).setHeatmap(HeatmapOptions.newBuilder()
                .setFormat(HeatmapOptions.Format.RAW_UINT8).setWidth(32).setHeight(16)).build());
        assertEquals(32 * 16, raw.getHeatmap().getData().size());
    }

    @Test
    void defectIsBrightInTheHeatmapWhereTheMapIsHigh() throws Exception {
        ScoreResponse defect = inspection.score(request(Files.readAllBytes(DemoFixture.sampleDefect()))
                .setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.RAW_UINT8)).build());
        int max = 0;
        for (byte b : defect.getHeatmap().getData().toByteArray()) {
            max = Math.max(max, b & 0xff);
        }
        // an anomalous image has map values above the threshold, i.e. above 0.5 (128) in the normalized heatmap
        assertTrue(max >= 128, "heatmap maximum " + max);
    }

    @Test
    void rawFloatHeatmapIsTheMapTheScoreComesFrom() throws Exception {
        ScoreResponse defect = inspection.score(request(Files.readAllBytes(DemoFixture.sampleDefect()))
                .setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.RAW_FLOAT32)).build());
        assertEquals(128, defect.getHeatmap().getWidth());
        assertEquals(128 * 128 * Float.BYTES, defect.getHeatmap().getData().size());
        FloatBuffer values = defect.getHeatmap().getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float max = Float.NEGATIVE_INFINITY;
        while (values.hasRemaining()) {
            max = Math.max(max, values.get());
        }
        // STFPM's image score is the maximum of its map, on the threshold's raw scale
        assertEquals(defect.getVerdict().getRawScore(), max, 1e-6);
        assertTrue(max >= defect.getVerdict().getThreshold());
    }

    @Test
    void inspectStreamsTheVerdictThenTheHeatmapInChunks() throws Exception {
        Iterator<InspectResponse> replies = inspection.inspect(request(good()).setHeatmap(HeatmapOptions.newBuilder()
                .setFormat(HeatmapOptions.Format.PNG_OVERLAY).setWidth(512).setHeight(512)).build());
        assertTrue(replies.next().hasVerdict());
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        boolean last = false;
        int chunks = 0;
        while (replies.hasNext()) {
            var chunk = replies.next().getHeatmapChunk();
            assertEquals(png.size(), chunk.getOffset());
            png.write(chunk.getData().toByteArray());
            last = chunk.getLast();
            assertEquals(png.size() == chunk.getTotalBytes(), last);
            chunks++;
        }
        assertTrue(last);
        assertTrue(chunks > 1, "a 512x512 overlay should need several 64 KiB chunks");
        assertEquals(512, ImageIO.read(new ByteArrayInputStream(png.toByteArray())).getWidth());
    }

    @Test
    void cameraStreamReportsABadFrameAndGoesOn() throws Exception {
        List<FrameResult> results = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<FrameRequest> frames = InspectionGrpc.newStub(node.channel).inspectStream(
                new StreamObserver<>() {
                    public void onNext(FrameResult r) {
                        synchronized (results) {
                            results.add(r);
                        }
                    }

                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    public void onCompleted() {
                        done.countDown();
                    }
                });
        byte[] good = good();
        for (long id = 1; id <= 12; id++) {
            byte[] bytes = id == 5 ? new byte[] {1, 2, 3} : good;
            frames.onNext(FrameRequest.newBuilder().setFrameId(id).setRequest(request(bytes)).build());
        }
        frames.onCompleted();
        assertTrue(done.await(60, TimeUnit.SECONDS));
        assertEquals(12, results.size());
        for (FrameResult r : results) {
            if (r.getFrameId() == 5) {
                assertEquals(Status.Code.INVALID_ARGUMENT.value(), r.getError().getCode());
                assertTrue(r.getError().getMessage().contains("not a PNG or JPEG"), r.getError().getMessage());
            } else {
                assertTrue(r.hasResult(), "frame " + r.getFrameId() + ": " + r);
            }
        }
        assertEquals(78, results.stream().mapToLong(FrameResult::getFrameId).sum());
    }

    @Test
    void unknownProductIsNotFound() throws Exception {
        var e = failure(request(good()).setProduct("no-such-product").build());
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no-such-product"));
        var version = failure(request(good()).setModelVersion(9).build());
        assertEquals(Status.Code.NOT_FOUND, version.getStatus().getCode());
        assertTrue(version.getStatus().getDescription().contains("has no version 9"), version.getStatus().getDescription());
    }

    @Test
    void malformedInputsAreInvalidArgumentsWithTheReason() throws Exception {
        assertStatus(Status.Code.INVALID_ARGUMENT, "product is required", request(good()).setProduct("").build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "invalid product id", request(good()).setProduct("../x").build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "image is required",
                ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "not a PNG or JPEG", request(new byte[] {9, 9, 9, 9}).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "image is empty", request(new byte[0]).build());
        byte[] truncated = java.util.Arrays.copyOf(good(), 200);
        assertStatus(Status.Code.INVALID_ARGUMENT, "cannot decode", request(truncated).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "needs", ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                .setImage(Image.newBuilder().setRaw(RawImage.newBuilder().setFormat(RawImage.PixelFormat.RGB8)
                        .setWidth(64).setHeight(64).setPixels(ByteString.copyFrom(new byte[100])))).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "pixel format", ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT)
                .setImage(Image.newBuilder().setRaw(RawImage.newBuilder().setWidth(1).setHeight(1)
                        .setPixels(ByteString.copyFrom(new byte[1])))).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "heatmap size", request(good()).setHeatmap(HeatmapOptions.newBuilder()
                .setFormat(HeatmapOptions.Format.PNG_GRAY).setWidth(5000)).build());
    }

    /**
     * Protobuf's uint32 fields reach Java as ints, negative above 2^31 - 1: each is refused with the value the client
     * sent, never read as a negative size or version.
     */
    @Test
    void unsignedFieldsBeyondTheirRangeAreRefusedWithTheValueAsSent() throws Exception {
        int max = 0xFFFFFFFF;
        int twoToThe31 = Integer.MIN_VALUE;
        assertStatus(Status.Code.INVALID_ARGUMENT, "heatmap size 4294967295x4294967295",
                request(good()).setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.PNG_GRAY)
                        .setWidth(max).setHeight(max)).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "heatmap size 2147483648x1",
                request(good()).setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.PNG_GRAY)
                        .setWidth(twoToThe31).setHeight(1)).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "model_version 4294967295 is out of range",
                request(good()).setModelVersion(max).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "raw image 4294967295x2 with stride 0 is out of range",
                ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder().setRaw(
                        RawImage.newBuilder().setFormat(RawImage.PixelFormat.GRAY8).setWidth(max).setHeight(2)
                                .setPixels(ByteString.copyFrom(new byte[8])))).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "unknown raw pixel format 7",
                ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder().setRaw(
                        RawImage.newBuilder().setFormatValue(7).setWidth(1).setHeight(1)
                                .setPixels(ByteString.copyFrom(new byte[1])))).build());
        assertStatus(Status.Code.INVALID_ARGUMENT, "needs 4096 bytes, got 4097",
                ScoreRequest.newBuilder().setProduct(DemoFixture.PRODUCT).setImage(Image.newBuilder().setRaw(
                        RawImage.newBuilder().setFormat(RawImage.PixelFormat.GRAY8).setWidth(64).setHeight(64)
                                .setPixels(ByteString.copyFrom(new byte[4097])))).build());
    }

    /** A status message travels in HTTP/2 headers, which clients cap: what it repeats of the request is cut short. */
    @Test
    void aHugeProductIdIsRefusedWithoutEchoingItWhole() throws Exception {
        String id = "x".repeat(10_000);
        var e = failure(request(good()).setProduct(id).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        String message = e.getStatus().getDescription();
        assertTrue(message.contains("(10000 characters)") && message.length() < 300, message);
    }

    @Test
    void imagesBeyondThePixelLimitAreRefusedBeforeDecoding() throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(2048, 1024, BufferedImage.TYPE_BYTE_GRAY), "png", png);
        assertStatus(Status.Code.INVALID_ARGUMENT, "2048x1024", request(png.toByteArray()).build());
    }

    @Test
    void messagesBeyondTheSizeLimitAreResourceExhausted() throws Exception {
        byte[] big = new byte[(int) MAX_MESSAGE + 1024];
        var e = failure(request(big).build());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("limit of " + MAX_MESSAGE), e.getStatus().getDescription());
    }

    @Test
    void clientsThatLeaveBeforeTheirReplyCostTheNodeNothing() throws Exception {
        byte[] good = good();
        // Deadlines around the demo model's few milliseconds: some replies are ready just after the client left.
        for (int deadlineMs = 1; deadlineMs <= 40; deadlineMs++) {
            try {
                inspection.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).score(request(good).build());
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            }
        }
        CountDownLatch ended = new CountDownLatch(1);
        StreamObserver<FrameRequest> camera = InspectionGrpc.newStub(node.channel).inspectStream(
                new StreamObserver<>() {
                    public void onNext(FrameResult r) {}

                    public void onError(Throwable t) {
                        ended.countDown();
                    }

                    public void onCompleted() {
                        ended.countDown();
                    }
                });
        for (long id = 1; id <= 8; id++) {
            camera.onNext(FrameRequest.newBuilder().setFrameId(id).setRequest(request(good)).build());
        }
        camera.onError(new IllegalStateException("camera switched off"));
        assertTrue(ended.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 5; i++) {
            assertFalse(inspection.withDeadlineAfter(10, TimeUnit.SECONDS).score(request(good).build())
                    .getVerdict().getIsAnomalous());
        }
        assertEquals(List.of(), node.unhandled);
    }

    @Test
    void healthIsServingForTheWholeNodeAndForInspection() {
        var health = HealthGrpc.newBlockingStub(node.channel);
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                health.check(HealthCheckRequest.newBuilder().build()).getStatus());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                health.check(HealthCheckRequest.newBuilder().setService("kdedge.v1.Inspection").build()).getStatus());
    }

    @Test
    void reflectionListsTheInspectionService() throws Exception {
        List<String> services = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        var requests = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(node.channel).serverReflectionInfo(
                new StreamObserver<>() {
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                        r.getListServicesResponse().getServiceList().forEach(s -> services.add(s.getName()));
                    }

                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    public void onCompleted() {
                        done.countDown();
                    }
                });
        requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(services.contains("kdedge.v1.Inspection"), services.toString());
    }

    private static void assertStatus(Status.Code code, String messagePart, ScoreRequest request) {
        var e = failure(request);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(messagePart),
                "'" + e.getStatus().getDescription() + "' should mention '" + messagePart + "'");
    }
}
