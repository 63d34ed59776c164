package dev.kdedge.node.health;

import dev.kdedge.node.engine.EngineCache;
import dev.kdedge.node.results.ResultJournal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What this node can do now, for health checks and DescribeProduct: whether it has started and not begun to shut
 * down, for each product whether its active version is loaded and scores, or why not, and whether results are being
 * recorded. Told by the engine cache as active versions load or fail and by the results journal as it records or
 * cannot; listeners hear of every change, on the thread that made it.
 */
public final class ServingState implements EngineCache.ServingReports, ResultJournal.Reports {
    /** The node's life: requests are taken only while SERVING. */
    public enum Phase { STARTING, SERVING, STOPPING }

    /** A product's active version, and why it cannot be served if it cannot. */
    public record Product(int version, Optional<String> problem) {
        public boolean serves() {
            return problem.isEmpty();
        }
    }

    private final boolean modelsWritable;
    private volatile Phase phase = Phase.STARTING;
    private final Map<String, Product> products = new ConcurrentHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Optional<String> journalProblem = Optional.empty();

    /** @param modelsWritable whether this node takes Models writes (enabled, and the store writable) */
    public ServingState(boolean modelsWritable) {
        this.modelsWritable = modelsWritable;
    }

    public Phase phase() {
        return phase;
    }

    /** Every active version has been loaded or has failed to, and the port is open. */
    public void started() {
        change(() -> phase = Phase.SERVING);
    }

    /** Shutdown has begun: from now on nothing is served, whatever is loaded. */
    public void stopping() {
        change(() -> phase = Phase.STOPPING);
    }

    @Override
    public void serves(String product, int version) {
        change(() -> products.put(product, new Product(version, Optional.empty())));
    }

    @Override
    public void cannotServe(String product, int version, String reason) {
        change(() -> products.put(product, new Product(version, Optional.of(reason))));
    }

    @Override
    public void records() {
        if (journalProblem.isPresent()) {
            change(() -> journalProblem = Optional.empty());
        }
    }

    @Override
    public void cannotRecord(String why) {
        if (!journalProblem.equals(Optional.of(why))) {
            change(() -> journalProblem = Optional.of(why));
        }
    }

    /** Why results are not being recorded, while they are not. */
    public Optional<String> journalProblem() {
        return journalProblem;
    }

    /** Serving, and results are recorded. */
    public boolean recordsResults() {
        return phase == Phase.SERVING && journalProblem.isEmpty();
    }

    /** The product's state, if its active version has been loaded or tried. */
    public Optional<Product> product(String product) {
        return Optional.ofNullable(products.get(product));
    }

    /** Serving, with at least one product that scores. */
    public boolean scores() {
        return phase == Phase.SERVING && products.values().stream().anyMatch(Product::serves);
    }

    /** Serving, and Models writes are taken. */
    public boolean takesModelsWrites() {
        return phase == Phase.SERVING && modelsWritable;
    }

    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    private void change(Runnable change) {
        change.run();
        listeners.forEach(Runnable::run);
    }
}
