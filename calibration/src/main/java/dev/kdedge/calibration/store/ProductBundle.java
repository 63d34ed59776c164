package dev.kdedge.calibration.store;

import java.nio.file.Path;

/** One immutable product version in a {@link ModelStore}, its files checked to exist. */
public record ProductBundle(String product, int version, Path directory, Manifest manifest, Path studentFile,
        Path teacherFile) {

    /** "product@version", how logs and the API name a bundle. */
    public String label() {
        return product + "@" + version;
    }
}
