package dev.kdedge.calibration.store;

import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.precision.QdqScheme;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One immutable product version in a {@link ModelStore}, its files checked to exist.
 *
 * @param servedFile the served graph, or null for a version published before served graphs existed
 */
public record ProductBundle(String product, int version, Path directory, Manifest manifest, Path studentFile,
        Path teacherFile, Path servedFile) {

    /** The version's don't-care mask as drawn (a PNG); empty where it has none. */
    public Optional<Path> dontCareFile() {
        return Optional.ofNullable(manifest.dontCare()).map(dontCare -> directory.resolve(dontCare.file()));
    }

    /** The version's don't-care mask, read from its directory; empty where it has none. */
    public Optional<DontCareMask> dontCare() throws IOException {
        Optional<Path> file = dontCareFile();
        return file.isEmpty() ? Optional.empty() : Optional.of(DontCareMask.read(file.get()));
    }

    /** "product@version", how logs and the API name a bundle. */
    public String label() {
        return product + "@" + version;
    }

    /**
     * The served graph at {@code precision} (FP16 runs the FP32 graph; INT8 is the variant in {@code int8Scheme}'s
     * form); empty where the version has no such variant (FP32 of a version published before served graphs existed,
     * or INT8 that was refused or predates that variant: {@link #missing} says which).
     */
    public Optional<Path> servedFile(Precision precision, QdqScheme int8Scheme) {
        Manifest.Int8 int8 = manifest.int8(int8Scheme);
        return switch (precision) {
            case FP32, FP16 -> Optional.ofNullable(servedFile);
            case INT8 -> int8 != null && int8.published() ? Optional.of(directory.resolve(int8.file()))
                    : Optional.empty();
        };
    }

    /** Why the version has no served graph at {@code precision} in {@code int8Scheme}'s form. */
    public String missing(Precision precision, QdqScheme int8Scheme) {
        String variant = precision == Precision.INT8 && int8Scheme == QdqScheme.TENSORRT ? "int8 variant for tensorrt"
                : precision.label() + " variant";
        Manifest.Int8 int8 = manifest.int8(int8Scheme);
        if (precision == Precision.INT8 && int8 != null && int8.refusal() != null) {
            return label() + " has no " + variant + ": " + int8.refusal();
        }
        return label() + " has no " + variant + ": it was fitted before they existed";
    }
}
