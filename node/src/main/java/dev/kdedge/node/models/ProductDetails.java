package dev.kdedge.node.models;

import dev.kdedge.calibration.threshold.ThresholdPolicy;
import java.util.List;
import java.util.Optional;

/**
 * A product as the engineer sees it: what is served and what could be, what was uploaded for the next fine-tune.
 *
 * @param activeVersion 0 when none is active
 * @param previousActiveVersions the versions a rollback returns to, latest first
 * @param servingProblem why the active version is not being served, while it is not
 */
public record ProductDetails(String product, int activeVersion, List<Integer> previousActiveVersions,
        int uploadedNormals, int uploadedDefects, ThresholdPolicy thresholdPolicy, Optional<String> servingProblem,
        List<VersionDetails> versions) {}
