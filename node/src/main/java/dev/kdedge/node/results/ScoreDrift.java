package dev.kdedge.node.results;

import dev.kdedge.calibration.metrics.KolmogorovSmirnov;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.node.inspection.Evaluation;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the good parts still score as the version's held-out normals did: per product, the two-sample
 * Kolmogorov-Smirnov statistic between the latest {@code window} OK results of its active version and the held-out
 * normals' scores its fit recorded, read from the journal every {@code everySeconds}. A lighting or supplier change
 * moves good parts' scores toward the threshold long before they cross it: the statistic grows from near 0 toward 1.
 * Products whose version recorded no held-out scores, or with fewer than {@code minResults} OK results of it yet,
 * have no reading.
 */
public final class ScoreDrift implements MeterBinder, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScoreDrift.class);
    /** OK results read to find {@code window} of the active version, when the line changed versions lately. */
    private static final int READ_FACTOR = 4;

    /**
     * A product's drift.
     *
     * @param statistic the Kolmogorov-Smirnov statistic, 0..1
     * @param recent how many OK results it compared, and {@code heldOut} with how many held-out normals
     */
    public record Reading(String product, int version, double statistic, int recent, int heldOut, Instant at) {}

    /** @param window the latest OK results compared; {@code minResults} the fewest that give a reading */
    public record Settings(int window, int minResults, int everySeconds) {}

    private final ResultJournal journal;
    private final ModelStore store;
    private final Settings settings;
    private final Map<String, Reading> readings = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kdedge-drift");
        t.setDaemon(true);
        return t;
    });
    private volatile MeterRegistry meters;

    public ScoreDrift(ResultJournal journal, ModelStore store, Settings settings) {
        this.journal = journal;
        this.store = store;
        this.settings = settings;
        thread.scheduleWithFixedDelay(this::readAll, settings.everySeconds(), settings.everySeconds(),
                TimeUnit.SECONDS);
    }

    /** The latest reading for the product, if it has one. */
    public Optional<Reading> reading(String product) {
        return Optional.ofNullable(readings.get(product));
    }

    private void readAll() {
        try {
            for (String product : store.products()) {
                read(product);
            }
        } catch (Exception e) {
            LOG.warn("score drift could not be read: {}", e.toString());
        }
    }

    private void read(String product) throws Exception {
        if (store.activeVersion(product).isEmpty()) {
            readings.remove(product);
            return;
        }
        ProductBundle active = store.activeBundle(product);
        Manifest.SyntheticCheck check = active.manifest().threshold().synthetic();
        if (check == null || check.normalScores() == null || check.normalScores().isEmpty()) {
            readings.remove(product);
            return;
        }
        List<ResultRecord> ok = journal.page(false, Long.MAX_VALUE, new ResultFilter(product, "", Evaluation.OK,
                false), null, null, settings.window() * READ_FACTOR).get(60, TimeUnit.SECONDS);
        double[] recent = ok.stream().filter(r -> r.version() == active.version() && r.viewResultIds().isEmpty())
                .limit(settings.window()).mapToDouble(ResultRecord::rawScore).toArray();
        if (recent.length < settings.minResults()) {
            readings.remove(product);
            return;
        }
        double[] heldOut = check.normalScores().stream().mapToDouble(Double::doubleValue).toArray();
        Reading reading = new Reading(product, active.version(), KolmogorovSmirnov.statistic(recent, heldOut),
                recent.length, heldOut.length, Instant.now());
        if (readings.put(product, reading) == null && meters != null) {
            register(meters, product);
        }
    }

    private void register(MeterRegistry registry, String product) {
        Gauge.builder("kdedge.score.drift", readings, r -> Optional.ofNullable(r.get(product))
                        .map(Reading::statistic).orElse(Double.NaN))
                .description("Kolmogorov-Smirnov statistic between the latest OK scores of the product's active "
                        + "version and its held-out normals' (0: alike, 1: apart)")
                .tag("product", product).register(registry);
    }

    /** {@code kdedge_score_drift{product}}, from a product's first reading on. */
    @Override
    public void bindTo(MeterRegistry registry) {
        meters = registry;
        readings.keySet().forEach(product -> register(registry, product));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
