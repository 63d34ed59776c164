package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parts decided, by product, station and evaluation ({@code kdedge_parts_total}). Stations are named by the clients,
 * so only the first {@value #MAX_STATIONS} names the node meets get series of their own and later ones count under
 * {@code other}: no client can grow the metrics without bound. Products are bounded by the store (a request for an
 * unknown product is refused before it is scored).
 */
final class PartCounter {
    static final int MAX_STATIONS = 32;
    static final String OTHER_STATION = "other";

    private final Set<String> stations = ConcurrentHashMap.newKeySet();
    private volatile MeterRegistry registry;

    void bindTo(MeterRegistry registry) {
        this.registry = registry;
    }

    void count(String product, String station, Evaluation evaluation) {
        MeterRegistry meters = registry;
        if (meters != null) {
            Counter.builder("kdedge.parts").description("parts decided (a part seen by several views once)")
                    .tags("product", product, "station", label(station), "evaluation",
                            evaluation.name().toLowerCase(Locale.ROOT))
                    .register(meters).increment();
        }
    }

    private String label(String station) {
        if (stations.contains(station)) {
            return station;
        }
        synchronized (stations) {
            if (stations.size() < MAX_STATIONS) {
                stations.add(station);
                return station;
            }
        }
        return OTHER_STATION;
    }
}
