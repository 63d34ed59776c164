package dev.kdedge.node.config;

import dev.kdedge.calibration.precision.Precision;
import java.util.Map;

/** The precision each product is served in, from the node's configuration: one for all, and exceptions by product. */
public record ProductPrecisions(Precision byDefault, Map<String, Precision> products) {
    public static final ProductPrecisions FP32 = new ProductPrecisions(Precision.FP32, Map.of());

    public ProductPrecisions {
        products = Map.copyOf(products);
    }

    public Precision of(String product) {
        return products.getOrDefault(product, byDefault);
    }
}
