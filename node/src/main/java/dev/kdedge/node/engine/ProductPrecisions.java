package dev.kdedge.node.engine;

import dev.kdedge.calibration.engine.Precision;
import java.util.Map;
import java.util.TreeMap;

/** The precision each product is served in, from the node's configuration: one for all, and exceptions by product. */
public record ProductPrecisions(Precision byDefault, Map<String, Precision> products) {
    public static final ProductPrecisions FP32 = new ProductPrecisions(Precision.FP32, Map.of());

    public ProductPrecisions {
        products = Map.copyOf(products);
    }

    /** Each precision configured, by the setting that names it ({@code precision.default}, {@code precision.products.x}). */
    public Map<String, Precision> all() {
        Map<String, Precision> all = new TreeMap<>();
        all.put("precision.default", byDefault);
        products.forEach((product, precision) -> all.put("precision.products." + product, precision));
        return all;
    }

    public Precision of(String product) {
        return products.getOrDefault(product, byDefault);
    }
}
