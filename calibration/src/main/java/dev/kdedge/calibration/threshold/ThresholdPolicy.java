package dev.kdedge.calibration.threshold;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a product's threshold is set when a version is fitted: at a target false-reject rate on held-out normal
 * images (the default), at a target share of synthetic defects caught (painted on those held-out normals: the
 * threshold then says what it catches, and the fit reports what it costs in false rejects), or at a fixed raw score
 * the engineer chose.
 *
 * <p>A policy may add a <b>review band</b> below the threshold, for products whose scores do not separate good
 * from defective well enough for one threshold: a part scoring at or above the threshold that catches {@code
 * reviewSyntheticRecall} of the synthetic defects, but below the policy's threshold, is NOT_DECIDABLE (a person
 * decides). Where that threshold is not below the policy's, the band is empty.
 *
 * @param policy {@value #TARGET_FALSE_REJECT_RATE}, {@value #TARGET_SYNTHETIC_RECALL} or {@value #FIXED}
 * @param value the rate (0.0001..0.5), the share caught (0.5..0.999) or the raw score
 * @param reviewSyntheticRecall the share of synthetic defects (0.5..0.999) at or above the band's lower edge; null
 *     for no band
 */
public record ThresholdPolicy(String policy, double value, Double reviewSyntheticRecall) {
    public static final String TARGET_FALSE_REJECT_RATE = "target-false-reject-rate";
    public static final String TARGET_SYNTHETIC_RECALL = "target-synthetic-recall";
    public static final String FIXED = "fixed";
    public static final ThresholdPolicy DEFAULT = targetFalseRejectRate(0.005);
    static final double MAX_FIXED_THRESHOLD = 1e6;

    @JsonCreator
    public ThresholdPolicy(@JsonProperty("policy") String policy, @JsonProperty("value") double value,
            @JsonProperty("reviewSyntheticRecall") Double reviewSyntheticRecall) {
        if (TARGET_FALSE_REJECT_RATE.equals(policy)) {
            if (!(value >= 0.0001 && value <= 0.5)) {
                throw new IllegalArgumentException("target false-reject rate must be 0.0001..0.5, was " + value);
            }
        } else if (TARGET_SYNTHETIC_RECALL.equals(policy)) {
            requireSyntheticRecall("target synthetic recall", value);
        } else if (FIXED.equals(policy)) {
            // Every method's raw scores are small non-negative numbers: a threshold at or below 0 rejects every
            // part, one far above any score accepts every part.
            if (!(value > 0 && value < MAX_FIXED_THRESHOLD)) {
                throw new IllegalArgumentException("fixed threshold must be a raw score above 0 and below "
                        + MAX_FIXED_THRESHOLD + ", was " + value);
            }
        } else {
            throw new IllegalArgumentException("unknown threshold policy '" + policy + "'");
        }
        if (reviewSyntheticRecall != null) {
            requireSyntheticRecall("the review band's synthetic recall", reviewSyntheticRecall);
        }
        this.policy = policy;
        this.value = value;
        this.reviewSyntheticRecall = reviewSyntheticRecall;
    }

    private static void requireSyntheticRecall(String what, double share) {
        if (!(share >= 0.5 && share <= 0.999)) {
            throw new IllegalArgumentException(what + " must be 0.5..0.999, was " + share);
        }
    }

    public static ThresholdPolicy targetFalseRejectRate(double rate) {
        return new ThresholdPolicy(TARGET_FALSE_REJECT_RATE, rate, null);
    }

    public static ThresholdPolicy targetSyntheticRecall(double share) {
        return new ThresholdPolicy(TARGET_SYNTHETIC_RECALL, share, null);
    }

    public static ThresholdPolicy fixed(double threshold) {
        return new ThresholdPolicy(FIXED, threshold, null);
    }

    /** This policy with a review band whose lower edge catches {@code syntheticRecall} of the synthetic defects. */
    public ThresholdPolicy withReviewBand(double syntheticRecall) {
        return new ThresholdPolicy(policy, value, syntheticRecall);
    }

    /**
     * The calibration of a version whose held-out normals scored {@code normalScores} and the synthetic defects
     * painted on them {@code syntheticScores} (empty without held-out normals).
     *
     * @throws IllegalArgumentException for a synthetic recall target or a review band without synthetic defects
     */
    public ScoreCalibration apply(double[] normalScores, double[] syntheticScores, double pixelMin, double pixelMax) {
        ScoreCalibration atRate = ThresholdFit.atFalseRejectRate(normalScores,
                TARGET_FALSE_REJECT_RATE.equals(policy) ? value : 0, pixelMin, pixelMax);
        ScoreCalibration calibration = switch (policy) {
            case FIXED -> atRate.withThreshold(value);
            case TARGET_SYNTHETIC_RECALL -> atRate.withThreshold(ThresholdFit.atRecall(syntheticScores, value));
            default -> atRate;
        };
        return reviewSyntheticRecall == null ? calibration : calibration.withReviewFrom(Math.min(
                ThresholdFit.atRecall(syntheticScores, reviewSyntheticRecall), calibration.threshold()));
    }
}
