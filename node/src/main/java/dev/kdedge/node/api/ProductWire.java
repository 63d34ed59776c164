package dev.kdedge.node.api;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.DontCareRegion;
import dev.kdedge.api.v1.ProductDescription;
import dev.kdedge.api.v1.ProductSummary;
import dev.kdedge.api.v1.SetDontCareRegionRequest;
import dev.kdedge.api.v1.VersionInfo;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.tensor.Extent;
import dev.kdedge.calibration.threshold.ThresholdPolicy;
import dev.kdedge.node.models.DontCareDrawing;
import dev.kdedge.node.models.DontCareRegionInput;
import dev.kdedge.node.models.ProductDetails;
import dev.kdedge.node.models.ProductOverview;
import dev.kdedge.node.models.VersionDetails;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The Models service's products in the contract's messages, and a threshold policy from them. */
final class ProductWire {
    private ProductWire() {}

    static ProductSummary summary(ProductOverview product) {
        return ProductSummary.newBuilder().setProduct(product.product()).setActiveVersion(product.activeVersion())
                .setVersions(product.versions()).build();
    }

    static DontCareRegion dontCareRegion(DontCareDrawing drawing) {
        return DontCareRegion.newBuilder().setVersion(drawing.version()).setPng(ByteString.copyFrom(drawing.png()))
                .setSha256(drawing.sha256()).build();
    }

    static ProductDescription description(ProductDetails product) {
        ProductDescription.Builder d = ProductDescription.newBuilder().setProduct(product.product())
                .setActiveVersion(product.activeVersion())
                .addAllPreviousActiveVersions(product.previousActiveVersions())
                .setUploadedNormals(product.uploadedNormals()).setUploadedDefects(product.uploadedDefects())
                .setThresholdPolicy(policy(product.thresholdPolicy()));
        product.servingProblem().ifPresent(d::setServingProblem);
        product.versions().forEach(version -> d.addVersions(version(version)));
        return d.build();
    }

    /** @throws IllegalArgumentException when the request names no region */
    static DontCareRegionInput region(SetDontCareRegionRequest request) {
        return switch (request.getRegionCase()) {
            case PNG -> new DontCareRegionInput(DontCareRegionInput.Form.PNG, request.getPng().toByteArray());
            case POLYGONS_JSON -> new DontCareRegionInput(DontCareRegionInput.Form.POLYGONS,
                    request.getPolygonsJson().getBytes(StandardCharsets.UTF_8));
            case EVERYWHERE -> DontCareRegionInput.NONE;
            case REGION_NOT_SET -> throw new IllegalArgumentException(
                    "a region is required: png, polygons_json, or everywhere for none");
        };
    }

    /** @throws IllegalArgumentException when the message holds no policy, or one out of bounds */
    static ThresholdPolicy policy(dev.kdedge.api.v1.ThresholdPolicy policy) {
        ThresholdPolicy threshold = switch (policy.getPolicyCase()) {
            case TARGET_FALSE_REJECT_RATE -> ThresholdPolicy.targetFalseRejectRate(policy.getTargetFalseRejectRate());
            case FIXED_THRESHOLD -> ThresholdPolicy.fixed(policy.getFixedThreshold());
            case TARGET_SYNTHETIC_RECALL -> ThresholdPolicy.targetSyntheticRecall(policy.getTargetSyntheticRecall());
            case POLICY_NOT_SET -> throw new IllegalArgumentException(
                    "a policy is required: target_false_reject_rate, target_synthetic_recall or fixed_threshold");
        };
        return policy.hasReviewSyntheticRecall() ? threshold.withReviewBand(policy.getReviewSyntheticRecall())
                : threshold;
    }

    static dev.kdedge.api.v1.ThresholdPolicy policy(ThresholdPolicy policy) {
        dev.kdedge.api.v1.ThresholdPolicy.Builder wire = dev.kdedge.api.v1.ThresholdPolicy.newBuilder();
        switch (policy.policy()) {
            case ThresholdPolicy.FIXED -> wire.setFixedThreshold(policy.value());
            case ThresholdPolicy.TARGET_SYNTHETIC_RECALL -> wire.setTargetSyntheticRecall(policy.value());
            default -> wire.setTargetFalseRejectRate(policy.value());
        }
        if (policy.reviewSyntheticRecall() != null) {
            wire.setReviewSyntheticRecall(policy.reviewSyntheticRecall());
        }
        return wire.build();
    }

    private static VersionInfo version(VersionDetails version) {
        Manifest m = version.manifest();
        List<Double> losses = m.training().lossPerEpoch();
        VersionInfo.Builder v = VersionInfo.newBuilder().setVersion(version.version()).setMethod(m.method())
                .setCreatedAt(m.createdAt()).setParentVersion(m.parentVersion() == null ? 0 : m.parentVersion())
                .setDataDigest(m.training().dataDigest()).setTrainingImages(m.training().images())
                .setEpochs(m.training().epochs()).setFinalLoss(losses.isEmpty() ? 0 : losses.get(losses.size() - 1))
                .setParityMaxAbsDifference(m.training().parityMaxAbsDifference())
                .setThreshold(m.threshold().calibration().threshold()).setThresholdPolicy(m.threshold().policy())
                .setThresholdSource(m.threshold().source()).setThresholdImages(m.threshold().images())
                .setActive(version.active())
                .addAllPrecisions(version.precisions().stream().map(Precision::label).toList())
                .setInputWidth(m.preprocessing().width()).setInputHeight(m.preprocessing().height());
        if (m.preprocessing().tiling() != null) {
            Extent tile = m.preprocessing().networkInput();
            v.setTileWidth(tile.width()).setTileHeight(tile.height()).setTiles(m.preprocessing().layout().count());
        }
        if (m.dontCare() != null) {
            v.setDontCareShare(m.dontCare().coveredShare()).setDontCareSha256(m.dontCare().sha256());
        }
        if (m.threshold().calibration().reviewFrom() != null) {
            v.setReviewFrom(m.threshold().calibration().reviewFrom());
        }
        if (m.threshold().f1OptimalThreshold() != null) {
            v.setF1OptimalThreshold(m.threshold().f1OptimalThreshold()).setF1(m.threshold().f1());
        }
        Manifest.SyntheticCheck synthetic = m.threshold().synthetic();
        if (synthetic != null) {
            v.setSyntheticDefects(synthetic.defects()).setSyntheticCaught(synthetic.caught())
                    .setSyntheticNormalsRejected(synthetic.normalsRejected());
            if (synthetic.imageAuroc() != null) {
                v.setSyntheticImageAuroc(synthetic.imageAuroc());
            }
        }
        if (version.int8() != null) {
            v.setInt8ScoreDeviation(version.int8().scoreDeviation());
            if (version.int8().refusal() != null) {
                v.setInt8Refusal(version.int8().refusal());
            }
        }
        return v.build();
    }
}
