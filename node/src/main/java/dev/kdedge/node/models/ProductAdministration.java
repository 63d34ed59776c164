package dev.kdedge.node.models;

import dev.kdedge.api.v1.ProductDescription;
import dev.kdedge.api.v1.ProductSummary;
import dev.kdedge.api.v1.ThresholdPolicy;
import dev.kdedge.api.v1.VersionInfo;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.image.ImageDecoder;
import dev.kdedge.calibration.image.InvalidImageException;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.store.StoreException;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.RawImages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * What the engineer's RPCs do to the store, as blocking calls for a worker thread: describe products, keep uploaded
 * images, promote and roll back (loading the version before it becomes active, so the line sees no slow request),
 * set the threshold policy. Jobs are {@link dev.kdedge.node.jobs.FineTuneJobs}.
 */
public final class ProductAdministration {
    private final ModelStore store;
    private final ServingState serving;
    private final EngineCache engines;
    private final ImageDecoder decoder;

    /** The outcome of one uploaded image: stored, already there, or refused with the reason. */
    public record Upload(Outcome outcome, String reason) {
        public enum Outcome { STORED, DUPLICATE, REFUSED }

        static final Upload STORED = new Upload(Outcome.STORED, "");
        static final Upload DUPLICATE = new Upload(Outcome.DUPLICATE, "");

        public static Upload refused(String reason) {
            return new Upload(Outcome.REFUSED, reason);
        }
    }

    public ProductAdministration(ModelStore store, EngineCache engines, ServingState serving, long maxImagePixels) {
        this.store = store;
        this.engines = engines;
        this.serving = serving;
        this.decoder = new ImageDecoder(maxImagePixels);
    }

    public List<ProductSummary> products() throws IOException {
        List<ProductSummary> products = new ArrayList<>();
        for (String product : store.products()) {
            products.add(ProductSummary.newBuilder().setProduct(product)
                    .setActiveVersion(store.activeVersion(product).orElse(0))
                    .setVersions(store.versions(product).size()).build());
        }
        return products;
    }

    /** @throws UnknownProductException when the store has no such product */
    public ProductDescription describe(String product) throws IOException {
        requireProduct(product);
        OptionalInt active = store.activeVersion(product);
        ProductDescription.Builder d = ProductDescription.newBuilder().setProduct(product)
                .setActiveVersion(active.orElse(0))
                .addAllPreviousActiveVersions(store.previousActiveVersions(product))
                .setUploadedNormals(store.uploads(product, ModelStore.UploadKind.NORMAL).size())
                .setUploadedDefects(store.uploads(product, ModelStore.UploadKind.DEFECT).size())
                .setThresholdPolicy(toProto(store.thresholdPolicy(product)));
        serving.product(product).flatMap(ServingState.Product::problem).ifPresent(d::setServingProblem);
        for (int version : store.versions(product)) {
            d.addVersions(versionInfo(store.bundle(product, version), active.orElse(0) == version));
        }
        return d.build();
    }

    /** Decodes the image to check it, then keeps it durably under the product's uploads, once per content. */
    /** @param image null when the client sent none */
    public Upload upload(String product, ImageInput image, boolean defective) throws IOException {
        byte[] content;
        String extension;
        try {
            if (image instanceof ImageInput.Encoded encoded) {
                content = encoded.copy();
                decoder.decode(content);
                extension = content.length > 2 && (content[0] & 0xff) == 0xFF && (content[1] & 0xff) == 0xD8 ? "jpg"
                        : isPng(content) ? "png" : null;
                if (extension == null) {
                    return Upload.refused("only PNG and JPEG are kept; send other formats as raw pixels");
                }
            } else if (image instanceof ImageInput.Raw raw) {
                Pixels pixels = RawImages.decode(decoder, raw);
                content = HeatmapImages.png(pixels.toImage());
                extension = "png";
            } else {
                return Upload.refused("no image (encoded PNG/JPEG bytes or raw pixels)");
            }
        } catch (InvalidImageException e) {
            return Upload.refused(e.getMessage());
        }
        boolean stored = store.storeUpload(product, defective ? ModelStore.UploadKind.DEFECT
                : ModelStore.UploadKind.NORMAL, content, extension);
        return stored ? Upload.STORED : Upload.DUPLICATE;
    }

    public ProductDescription promote(String product, int version) throws IOException {
        requireProduct(product);
        if (version <= 0) {
            throw new IllegalArgumentException(version == 0 ? "version is required"
                    : "version " + Integer.toUnsignedString(version) + " is out of range (1.." + Integer.MAX_VALUE
                            + ")");
        }
        engines.warm(product, version);
        store.activate(product, version);
        engines.activated(product, version);
        return describe(product);
    }

    public ProductDescription rollback(String product) throws IOException {
        requireProduct(product);
        List<Integer> previous = store.previousActiveVersions(product);
        if (previous.isEmpty()) {
            throw new StoreException("product " + product + " has no earlier active version to roll back to");
        }
        engines.warm(product, previous.get(0));
        int version = store.rollback(product);
        engines.activated(product, version);
        return describe(product);
    }

    public ThresholdPolicy setThresholdPolicy(String product, ThresholdPolicy policy) throws IOException {
        requireProduct(product);
        dev.kdedge.calibration.threshold.ThresholdPolicy stored = switch (policy.getPolicyCase()) {
            case TARGET_FALSE_REJECT_RATE ->
                    dev.kdedge.calibration.threshold.ThresholdPolicy.targetFalseRejectRate(policy.getTargetFalseRejectRate());
            case FIXED_THRESHOLD -> dev.kdedge.calibration.threshold.ThresholdPolicy.fixed(policy.getFixedThreshold());
            case POLICY_NOT_SET -> throw new IllegalArgumentException(
                    "a policy is required: target_false_reject_rate or fixed_threshold");
        };
        store.setThresholdPolicy(product, stored);
        return toProto(stored);
    }

    /** @throws UnknownProductException unless the store has versions of the product */
    public void requireProduct(String product) throws IOException {
        ModelStore.requireValidProductId(product);
        if (store.versions(product).isEmpty()) {
            throw new UnknownProductException("no product '" + product + "' in the store");
        }
    }

    private static boolean isPng(byte[] b) {
        return b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
    }

    private static ThresholdPolicy toProto(dev.kdedge.calibration.threshold.ThresholdPolicy policy) {
        return dev.kdedge.calibration.threshold.ThresholdPolicy.FIXED.equals(policy.policy())
                ? ThresholdPolicy.newBuilder().setFixedThreshold(policy.value()).build()
                : ThresholdPolicy.newBuilder().setTargetFalseRejectRate(policy.value()).build();
    }

    private VersionInfo versionInfo(ProductBundle bundle, boolean active) {
        Manifest m = bundle.manifest();
        List<Double> losses = m.training().lossPerEpoch();
        VersionInfo.Builder v = VersionInfo.newBuilder().setVersion(bundle.version()).setMethod(m.method())
                .setCreatedAt(m.createdAt()).setParentVersion(m.parentVersion() == null ? 0 : m.parentVersion())
                .setDataDigest(m.training().dataDigest()).setTrainingImages(m.training().images())
                .setEpochs(m.training().epochs()).setFinalLoss(losses.isEmpty() ? 0 : losses.get(losses.size() - 1))
                .setParityMaxAbsDifference(m.training().parityMaxAbsDifference())
                .setThreshold(m.threshold().calibration().threshold()).setThresholdPolicy(m.threshold().policy())
                .setThresholdSource(m.threshold().source()).setThresholdImages(m.threshold().images())
                .setActive(active);
        if (m.threshold().f1OptimalThreshold() != null) {
            v.setF1OptimalThreshold(m.threshold().f1OptimalThreshold()).setF1(m.threshold().f1());
        }
        ExecutionProvider provider = engines.provider();
        for (Precision precision : Precision.values()) {
            if (precision.hasOwnGraph() ? bundle.servedFile(precision, provider.int8Scheme()).isPresent()
                    : provider.cannotRun(precision).isEmpty()) {
                v.addPrecisions(precision.label());
            }
        }
        Manifest.Int8 int8 = m.int8(provider.int8Scheme());
        if (int8 != null) {
            v.setInt8ScoreDeviation(int8.scoreDeviation());
            if (int8.refusal() != null) {
                v.setInt8Refusal(int8.refusal());
            }
        }
        return v.build();
    }
}
