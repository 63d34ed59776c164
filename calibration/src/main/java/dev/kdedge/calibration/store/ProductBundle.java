package dev.kdedge.calibration.store;

import dev.kdedge.calibration.engine.Precision;
import java.nio.file.Path;
import java.util.Optional;

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

    /**
     * The served graph at {@code precision} (FP16 runs the FP32 graph); empty where the version has no such variant
     * (FP32 of a version published before served graphs existed, or INT8 that was refused or predates INT8 variants:
     * {@link #missing} says which).
     */
    public Optional<Path> servedFile(Precision precision) {
        return switch (precision) {
            case FP32, FP16 -> Optional.ofNullable(servedFile);
            case INT8 -> manifest.int8() != null && manifest.int8().published()
                    ? Optional.of(directory.resolve(manifest.int8().file())) : Optional.empty();
        };
    }

    /** Why the version has no served graph at {@code precision}. */
    public String missing(Precision precision) {
        if (precision == Precision.INT8 && manifest.int8() != null && manifest.int8().refusal() != null) {
            return label() + " has no int8 variant: " + manifest.int8().refusal();
        }
        return label() + " has no " + precision.label() + " variant: it was fitted before they existed";
    }
}
