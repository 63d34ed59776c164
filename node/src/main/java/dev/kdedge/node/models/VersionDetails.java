package dev.kdedge.node.models;

import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.Manifest;
import java.util.List;

/**
 * One version of a product: how it was made (its manifest), whether it is the active one, and what this node can
 * serve it at.
 *
 * @param precisions the precisions this node's execution provider can serve it at
 * @param int8 the INT8 variant's check for this node's provider, or null when the version has none
 */
public record VersionDetails(int version, Manifest manifest, boolean active, List<Precision> precisions,
        Manifest.Int8 int8) {}
