package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.GetJobRequest;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.PromoteRequest;
import dev.kdedge.api.v1.RawImage;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.SetThresholdPolicyRequest;
import dev.kdedge.api.v1.StartFineTuneRequest;
import dev.kdedge.api.v1.ThresholdPolicy;
import dev.kdedge.api.v1.UploadRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of hostile requests over a real socket from grpc-java: real PNG and JPEG images mutated (bit flips,
 * truncation, spliced bytes, forged sizes in their headers) and every numeric and text field set to values a client
 * may send (negative as unsigned, huge, empty, overlong, path-like). Any INTERNAL or UNKNOWN status fails the test
 * (the node did not know what was wrong), and so does a node that no longer scores a good image afterwards.
 * Seeded, so a failure repeats.
 */
class HostileInputFuzzTest {
    private static final int CALLS = 3000;
    private static final int[] EDGE_INTS = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 4096, 4097, 65536};

    @TempDir
    Path dir;

    @Test
    void noInputMakesTheNodeFailWithoutSayingWhy() throws Exception {
        Random random = new Random(20261127);
        byte[] png = Files.readAllBytes(DemoFixture.sampleGood());
        byte[] jpeg = jpeg(png);
        Map<Status.Code, Integer> seen = new TreeMap<>();
        List<String> unexplained = new ArrayList<>();
        try (RunningNode node = new RunningNode(DemoFixture.copyOfStore(dir.resolve("store")), c -> {
            c.models.enabled = true;
            c.scoring.maxImagePixels = 1024 * 1024;
        })) {
            for (int i = 0; i < CALLS; i++) {
                Status.Code code = call(node, random, random.nextBoolean() ? png : jpeg);
                seen.merge(code, 1, Integer::sum);
                if (code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN) {
                    unexplained.add("call " + i + ": " + code);
                }
            }
            System.out.println("hostile calls by status: " + seen);
            assertEquals(List.of(), unexplained);
            var verdict = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .score(DemoRequests.scoreRequest(DemoFixture.sampleGood())).getVerdict();
            assertFalse(verdict.getIsAnomalous(), "the node still scores a good part correctly");
            assertTrue(seen.getOrDefault(Status.Code.OK, 0) > 0 && seen.getOrDefault(Status.Code.INVALID_ARGUMENT, 0) > 0,
                    seen.toString());
        }
    }

    /** One hostile call of a random kind; the status it ended with. */
    private Status.Code call(RunningNode node, Random random, byte[] image) {
        var inspection = InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        var models = ModelsGrpc.newBlockingStub(node.channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        try {
            switch (random.nextInt(9)) {
                case 0, 1, 2 -> inspection.score(score(random).setImage(Image.newBuilder()
                        .setEncoded(ByteString.copyFrom(mutated(image, random)))).build());
                case 3 -> inspection.score(score(random).setImage(Image.newBuilder().setRaw(raw(random))).build());
                case 4 -> inspection.inspect(score(random).setImage(Image.newBuilder()
                        .setEncoded(ByteString.copyFrom(image))).build()).forEachRemaining(r -> {});
                case 5 -> models.promote(PromoteRequest.newBuilder().setProduct(product(random))
                        .setVersion(edgeInt(random)).build());
                case 6 -> models.setThresholdPolicy(SetThresholdPolicyRequest.newBuilder().setProduct(product(random))
                        .setPolicy(random.nextBoolean()
                                ? ThresholdPolicy.newBuilder().setFixedThreshold(edgeDouble(random))
                                : ThresholdPolicy.newBuilder().setTargetFalseRejectRate(edgeDouble(random))).build());
                case 7 -> {
                    List<UploadRequest> upload = new ArrayList<>();
                    for (int n = 1 + random.nextInt(3); n > 0; n--) {
                        upload.add(UploadRequest.newBuilder().setProduct(random.nextBoolean() ? DemoFixture.PRODUCT
                                : product(random)).setName(text(random)).setDefective(random.nextBoolean())
                                .setImage(random.nextInt(4) == 0 ? Image.newBuilder().setRaw(raw(random))
                                        : Image.newBuilder().setEncoded(ByteString.copyFrom(mutated(image, random))))
                                .build());
                    }
                    ModelsApiTest.upload(node.channel, upload);
                }
                default -> {
                    if (random.nextBoolean()) {
                        models.startFineTune(StartFineTuneRequest.newBuilder().setProduct(product(random))
                                .setEpochs(edgeInt(random)).setHoldoutFraction(edgeDouble(random))
                                .setLearningRate(edgeDouble(random)).build());
                    } else {
                        models.getJob(GetJobRequest.newBuilder().setJobId(text(random)).build());
                    }
                }
            }
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } catch (Exception e) {
            throw new AssertionError("the upload did not end with a status", e);
        }
    }

    private static ScoreRequest.Builder score(Random random) {
        ScoreRequest.Builder request = ScoreRequest.newBuilder()
                .setProduct(random.nextInt(4) == 0 ? product(random) : DemoFixture.PRODUCT);
        if (random.nextInt(3) == 0) {
            request.setModelVersion(edgeInt(random));
        }
        if (random.nextBoolean()) {
            request.setHeatmap(HeatmapOptions.newBuilder().setFormatValue(random.nextInt(7) - 1)
                    .setWidth(random.nextBoolean() ? edgeInt(random) : random.nextInt(300))
                    .setHeight(random.nextBoolean() ? edgeInt(random) : random.nextInt(300)));
        }
        return request;
    }

    private static RawImage.Builder raw(Random random) {
        int width = random.nextBoolean() ? edgeInt(random) : random.nextInt(80);
        int height = random.nextBoolean() ? edgeInt(random) : random.nextInt(80);
        return RawImage.newBuilder().setFormatValue(random.nextInt(6) - 1).setWidth(width).setHeight(height)
                .setStride(random.nextBoolean() ? 0 : edgeInt(random))
                .setPixels(ByteString.copyFrom(new byte[random.nextInt(3 * 80 * 80 + 100)]));
    }

    /** A real image damaged the way a broken camera or a hostile client damages one. */
    private static byte[] mutated(byte[] image, Random random) {
        byte[] out = image.clone();
        switch (random.nextInt(5)) {
            case 0 -> {
                for (int flips = 1 + random.nextInt(8); flips > 0; flips--) {
                    out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> out = java.util.Arrays.copyOf(out, random.nextInt(out.length));
            case 2 -> {
                // Header fields (PNG IHDR width/height at 16..23, JPEG SOF sizes early on) set to extremes.
                int at = 16 + random.nextInt(Math.min(200, out.length - 20));
                for (int i = 0; i < 4; i++) {
                    out[at + i] = (byte) (random.nextBoolean() ? 0xFF : 0x7F);
                }
            }
            case 3 -> {
                byte[] spliced = new byte[out.length + 64];
                int at = random.nextInt(out.length);
                System.arraycopy(out, 0, spliced, 0, at);
                System.arraycopy(out, at, spliced, at + 64, out.length - at);
                for (int i = 0; i < 64; i++) {
                    spliced[at + i] = (byte) random.nextInt(256);
                }
                out = spliced;
            }
            default -> { }
        }
        return out;
    }

    private static int edgeInt(Random random) {
        return random.nextBoolean() ? EDGE_INTS[random.nextInt(EDGE_INTS.length)] : random.nextInt();
    }

    private static double edgeDouble(Random random) {
        double[] edges = {0, -1, 1e-9, 0.05, 0.5, 1, 1e308, Double.NaN, Double.POSITIVE_INFINITY, -0.0};
        return random.nextBoolean() ? edges[random.nextInt(edges.length)] : random.nextGaussian();
    }

    private static String product(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> "";
            case 1 -> "../" + DemoFixture.PRODUCT;
            case 2 -> "x".repeat(1 + random.nextInt(20_000));
            case 3 -> DemoFixture.PRODUCT;
            default -> text(random);
        };
    }

    private static String text(Random random) {
        StringBuilder s = new StringBuilder();
        for (int i = random.nextInt(random.nextBoolean() ? 20 : 12_000); i > 0; i--) {
            s.appendCodePoint(random.nextInt(4) == 0 ? 0x80 + random.nextInt(0x2000) : 0x20 + random.nextInt(0x5f));
        }
        return s.toString();
    }

    private static byte[] jpeg(byte[] png) throws Exception {
        BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(png));
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.getGraphics().drawImage(image, 0, 0, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(rgb, "jpeg", out);
        return out.toByteArray();
    }
}
