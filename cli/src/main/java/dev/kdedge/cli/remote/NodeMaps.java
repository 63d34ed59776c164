package dev.kdedge.cli.remote;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.DontCareRegion;
import dev.kdedge.api.v1.GetDontCareRegionRequest;
import dev.kdedge.api.v1.Heatmap;
import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.api.v1.Verdict;
import dev.kdedge.calibration.evaluation.AnomalyMapSource;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.method.AnomalyMap;
import dev.kdedge.calibration.store.Manifest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A product version on a running node, scored over its Inspection API with the raw float map ({@code RAW_FLOAT32}),
 * so the figures are those of exactly what the node runs: the active version, or another one by number (a fine-tune
 * before it is promoted). The first answer fixes the version: if the node switches its active version during the
 * evaluation, the evaluation fails rather than mix two models.
 */
public final class NodeMaps implements AnomalyMapSource {
    private static final long DEADLINE_SECONDS = 60;

    private final String address;
    private final String product;
    private final int version;
    private final ManagedChannel channel;
    private final InspectionGrpc.InspectionBlockingStub inspection;
    private final ModelsGrpc.ModelsBlockingStub models;
    private Verdict first;
    /** null until asked of the node. */
    private Optional<DontCareMask> dontCare;

    /**
     * @param channel to the node; closed with this source
     * @param version the version to score, or 0 for the active one
     */
    public NodeMaps(String address, ManagedChannel channel, String product, int version) {
        this.address = address;
        this.product = product;
        this.version = version;
        this.channel = channel;
        this.inspection = InspectionGrpc.newBlockingStub(channel);
        this.models = ModelsGrpc.newBlockingStub(channel);
    }

    @Override
    public Scored score(Path image) throws IOException {
        ScoreResponse response = call(image, HeatmapOptions.Format.RAW_FLOAT32);
        Heatmap heatmap = response.getHeatmap();
        float[] values = new float[heatmap.getWidth() * heatmap.getHeight()];
        ByteBuffer data = heatmap.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (data.remaining() != values.length * Float.BYTES) {
            throw new IOException("node sent a " + heatmap.getWidth() + "x" + heatmap.getHeight() + " float map in "
                    + data.remaining() + " bytes");
        }
        data.asFloatBuffer().get(values);
        var timings = response.getVerdict().getTimings();
        return new Scored(new AnomalyMap(heatmap.getWidth(), heatmap.getHeight(), values,
                (float) response.getVerdict().getRawScore()), timings.getInferenceMs() + timings.getAnomalyMapMs());
    }

    /** Asked of the node once, for the version its first answer named: the region its maps are zero in. */
    @Override
    public Optional<DontCareMask> dontCare() throws IOException {
        if (dontCare == null) {
            int served = Integer.parseInt(verdict().getModelVersion());
            DontCareRegion region;
            try {
                region = models.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).getDontCareRegion(
                        GetDontCareRegionRequest.newBuilder().setProduct(product).setVersion(served).build());
            } catch (StatusRuntimeException e) {
                throw new IOException(address + " did not give " + product + "@" + served + "'s don't-care region, "
                        + "which pixel metrics must leave out: " + e.getStatus().getCode() + ": "
                        + e.getStatus().getDescription(), e);
            }
            try {
                dontCare = region.getPng().isEmpty() ? Optional.empty()
                        : Optional.of(DontCareMask.of(region.getPng().toByteArray()));
            } catch (InvalidImageException e) {
                throw new IOException(address + " sent " + product + "@" + served + "'s don't-care region as an "
                        + "unreadable image: " + e.getMessage(), e);
            }
        }
        return dontCare;
    }

    @Override
    public byte[] overlayPng(Path image) throws IOException {
        return call(image, HeatmapOptions.Format.PNG_OVERLAY).getHeatmap().getData().toByteArray();
    }

    private ScoreResponse call(Path image, HeatmapOptions.Format format) throws IOException {
        ScoreRequest request = ScoreRequest.newBuilder().setProduct(product).setModelVersion(version)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(Files.readAllBytes(image))))
                .setHeatmap(HeatmapOptions.newBuilder().setFormat(format)).build();
        ScoreResponse response;
        try {
            response = inspection.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).score(request);
        } catch (StatusRuntimeException e) {
            throw new IOException(address + " refused " + image + ": " + e.getStatus().getCode() + ": "
                    + e.getStatus().getDescription(), e);
        }
        Verdict verdict = response.getVerdict();
        if (first == null) {
            first = verdict;
        } else if (!first.getModelVersion().equals(verdict.getModelVersion())) {
            throw new IllegalStateException(address + " switched " + product + " from version "
                    + first.getModelVersion() + " to " + verdict.getModelVersion()
                    + " during the evaluation; evaluate again");
        }
        return response;
    }

    @Override
    public String bundleLabel() {
        return product + "@" + verdict().getModelVersion();
    }

    @Override
    public String precision() {
        return verdict().getPrecision();
    }

    @Override
    public double threshold() {
        return verdict().getThreshold();
    }

    @Override
    public String modelDescription() {
        return "served by the node at " + address + " as " + bundleLabel() + " in " + precision() + ", threshold " + threshold()
                + ".\nThe manifest is in the node's model store: evaluate with --store to include it here.";
    }

    @Override
    public Optional<Manifest> manifest() {
        return Optional.empty();
    }

    private Verdict verdict() {
        if (first == null) {
            throw new IllegalStateException("nothing scored on " + address + " yet");
        }
        return first;
    }

    @Override
    public void close() throws IOException {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
