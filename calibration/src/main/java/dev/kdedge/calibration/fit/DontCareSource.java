package dev.kdedge.calibration.fit;

import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.store.ProductBundle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a fit's don't-care region comes from: a file the engineer handed in (a PNG drawn, or a {@code .json} file of
 * polygons), or the region a version keeps, with the polygons its manifest records where it was written down, so
 * that a fine-tune does not turn written-down polygons into a mere drawing.
 *
 * @param file the PNG or {@code .json} file the mask is read from
 * @param keptPolygons the polygons a version recorded for {@code file}, its kept PNG; null for a file handed in
 */
record DontCareSource(Path file, List<List<List<Double>>> keptPolygons) {
    /** {@code file} as the engineer handed it in; null for none. */
    static DontCareSource handedIn(Path file) {
        return file == null ? null : new DontCareSource(file, null);
    }

    /** The region {@code bundle} serves; null where it has none. */
    static DontCareSource keptBy(ProductBundle bundle) {
        return bundle.dontCareFile().map(png -> new DontCareSource(png, bundle.manifest().dontCare().polygons()))
                .orElse(null);
    }

    /** The polygons the region was written down as, or empty where it was drawn. */
    Optional<List<List<List<Double>>>> polygons() throws IOException {
        return keptPolygons != null ? Optional.of(keptPolygons) : DontCareMask.polygons(file);
    }
}
