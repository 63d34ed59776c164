package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.SetThresholdPolicyRequest;
import dev.kdedge.api.v1.ThresholdPolicy;
import io.grpc.ManagedChannel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "threshold-policy", mixinStandardHelpOptions = true,
        description = "Set how the product's next fine-tunes set their threshold (existing versions keep theirs).")
final class ThresholdPolicyCommand extends RemoteCall {
    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    static final class Policy {
        @Option(names = "--target-frr", required = true,
                description = "Share of held-out normal images the threshold may reject, 0.0001..0.5.")
        Double targetFalseRejectRate;

        @Option(names = "--target-synthetic-recall", required = true,
                description = "Share of synthetic defects (one painted on each held-out normal) the threshold must "
                        + "catch, 0.5..0.999.")
        Double targetSyntheticRecall;

        @Option(names = "--fixed", required = true, description = "A fixed raw-score threshold.")
        Double fixed;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Policy policy;

    @Option(names = "--review-synthetic-recall", description = "Add a review band below the threshold: parts scoring "
            + "from the threshold that catches this share (0.5..0.999) of the synthetic defects up to the policy's "
            + "threshold are NOT_DECIDABLE, for a person to decide.")
    Double reviewSyntheticRecall;

    @Override
    int run(ManagedChannel channel) {
        ThresholdPolicy.Builder p = ThresholdPolicy.newBuilder();
        if (policy.fixed != null) {
            p.setFixedThreshold(policy.fixed);
        } else if (policy.targetSyntheticRecall != null) {
            p.setTargetSyntheticRecall(policy.targetSyntheticRecall);
        } else {
            p.setTargetFalseRejectRate(policy.targetFalseRejectRate);
        }
        if (reviewSyntheticRecall != null) {
            p.setReviewSyntheticRecall(reviewSyntheticRecall);
        }
        ThresholdPolicy set = models(channel).setThresholdPolicy(SetThresholdPolicyRequest.newBuilder()
                .setProduct(product).setPolicy(p).build());
        System.out.println(product + ": next fine-tunes use " + StatusCommand.describe(set));
        return 0;
    }
}
