package dev.kdedge.calibration.store;

import java.nio.file.Path;

/**
 * One immutable product version in a {@link ModelStore}, its files checked to exist.
 *
 * @param servedFile the served graph, or null for a version published before served graphs existed
 */
public record ProductBundle(String product, int version, Path directory, Manifest manifest, Path studentFile,
        Path teacherFile, Path servedFile) {

    /** "product@version", how logs and the API name a bundle. */
    public String label() {
        return product + "@" + version;
    }
}
