package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.DescribeProductRequest;
import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.ListJobsRequest;
import dev.kdedge.api.v1.ListProductsRequest;
import dev.kdedge.api.v1.ProductDescription;
import dev.kdedge.api.v1.ProductSummary;
import dev.kdedge.api.v1.ThresholdPolicy;
import dev.kdedge.api.v1.VersionInfo;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Products and jobs of a node; with --product, that product's versions, uploads and policy.")
final class StatusCommand extends RemoteCall {
    @Option(names = "--product", description = "Describe this product.")
    String product;

    @Override
    int run(ManagedChannel channel) {
        if (product != null) {
            print(models(channel).describeProduct(DescribeProductRequest.newBuilder().setProduct(product).build()));
            return 0;
        }
        for (ProductSummary p : models(channel).listProducts(ListProductsRequest.getDefaultInstance()).getProductsList()) {
            System.out.printf("%s: active version %d of %d%n", p.getProduct(), p.getActiveVersion(), p.getVersions());
        }
        for (Job job : models(channel).listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()) {
            System.out.printf("job %s  %s  %s  created %s%s%s%n", job.getJobId(), job.getProduct(), job.getState(),
                    job.getCreatedAt(), job.getVersion() > 0 ? "  version " + job.getVersion() : "",
                    job.getReason().isEmpty() ? "" : "  (" + job.getReason() + ")");
        }
        return 0;
    }

    static void print(ProductDescription d) {
        System.out.printf("%s: active version %d%s; %d normal and %d defect images uploaded; next fine-tunes: %s%n",
                d.getProduct(), d.getActiveVersion(), d.getPreviousActiveVersionsCount() == 0 ? ""
                        : " (before: " + d.getPreviousActiveVersionsList() + ")",
                d.getUploadedNormals(), d.getUploadedDefects(), describe(d.getThresholdPolicy()));
        if (!d.getServingProblem().isEmpty()) {
            System.out.printf("  NOT SERVED: %s%n", d.getServingProblem());
        }
        for (VersionInfo v : d.getVersionsList()) {
            System.out.printf(Locale.ROOT, "  %s v%d  %s  %s  %s, %d images, %d epochs, loss %.5f, parity %.1e, "
                    + "threshold %.6g (%s on %d %s)%s%s; precisions %s%s%n", v.getActive() ? "*" : " ", v.getVersion(),
                    v.getCreatedAt(),
                    v.getMethod(), v.getParentVersion() == 0 ? "from scratch" : "from v" + v.getParentVersion(),
                    v.getTrainingImages(), v.getEpochs(), v.getFinalLoss(), v.getParityMaxAbsDifference(),
                    v.getThreshold(), v.getThresholdPolicy(), v.getThresholdImages(), v.getThresholdSource(),
                    (v.hasReviewFrom() ? String.format(Locale.ROOT, ", review band from %.6g", v.getReviewFrom()) : "")
                            + (v.hasF1OptimalThreshold() ? String.format(Locale.ROOT, ", F1-optimal %.6g",
                            v.getF1OptimalThreshold()) : ""), v.getSyntheticDefects() == 0 ? "" : String.format(Locale.ROOT,
                                    ", catches %.0f%% of %d synthetic defects%s", 100 * v.getSyntheticCaught(),
                                    v.getSyntheticDefects(), v.hasSyntheticImageAuroc() ? String.format(Locale.ROOT,
                                            " (image AUROC %.3f)", v.getSyntheticImageAuroc()) : ""), String.join(", ", v.getPrecisionsList()),
                    v.getInt8Refusal().isEmpty() ? "" : " (no int8: " + v.getInt8Refusal() + ")");
            System.out.printf("      input %s; %s%n", input(v), region(v));
        }
    }

    /**
     * Prints the product after Promote or Rollback, and says so where the version now served leaves out another
     * region than {@code servedBefore} did: a fine-tune started before a region changed serves the old one.
     */
    static void printChange(int servedBefore, ProductDescription d) {
        print(d);
        Optional<VersionInfo> now = version(d, d.getActiveVersion());
        Optional<VersionInfo> before = version(d, servedBefore);
        if (now.isPresent() && before.isPresent()
                && !now.get().getDontCareSha256().equals(before.get().getDontCareSha256())) {
            System.out.printf("note: v%d serves another don't-care region than v%d, served before: in v%d %s; in v%d %s%n",
                    now.get().getVersion(), before.get().getVersion(), now.get().getVersion(), region(now.get()),
                    before.get().getVersion(), region(before.get()));
        }
    }

    /**
     * The version the product serves now, 0 for none or where the node does not say (a caller whose role may change
     * but not read; the change itself then answers for the product).
     */
    static int activeVersion(ManagedChannel channel, String product) {
        try {
            return models(channel).describeProduct(DescribeProductRequest.newBuilder().setProduct(product).build())
                    .getActiveVersion();
        } catch (StatusRuntimeException e) {
            return 0;
        }
    }

    private static Optional<VersionInfo> version(ProductDescription d, int version) {
        return d.getVersionsList().stream().filter(v -> v.getVersion() == version).findFirst();
    }

    private static String input(VersionInfo v) {
        String size = v.getInputWidth() + "x" + v.getInputHeight();
        return v.getTiles() == 0 ? size : size + " in " + v.getTiles() + " tiles of " + v.getTileWidth() + "x"
                + v.getTileHeight();
    }

    private static String region(VersionInfo v) {
        return v.hasDontCareShare() ? String.format(Locale.ROOT, "a don't-care region leaves out %.1f%% of the input",
                100 * v.getDontCareShare()) : "every pixel counts";
    }

    static String describe(ThresholdPolicy policy) {
        String threshold = switch (policy.getPolicyCase()) {
            case FIXED_THRESHOLD -> "fixed threshold " + policy.getFixedThreshold();
            case TARGET_SYNTHETIC_RECALL -> "threshold catching " + policy.getTargetSyntheticRecall()
                    + " of synthetic defects";
            default -> "threshold at " + policy.getTargetFalseRejectRate() + " false-reject rate";
        };
        return policy.hasReviewSyntheticRecall() ? threshold + ", review band from the threshold catching "
                + policy.getReviewSyntheticRecall() + " of synthetic defects" : threshold;
    }
}
