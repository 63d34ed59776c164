package dev.kdedge.node.line;

import java.util.concurrent.atomic.AtomicInteger;

/** One inspection point of the line: the product (recipe) it scores, the frames it has in flight, its results. */
public final class Station {
    /** What a PLC sees of the station, as a vision system's Ready / Busy / Error. */
    public enum State {
        /** Its recipe is served and no frame of it is being scored. */
        READY,
        /** A frame of it is being scored. */
        BUSY,
        /** Its recipe cannot be scored now (no such product, or its active version failed to load). */
        ERROR
    }

    private final String name;
    private final StationResults results;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile String recipe;

    Station(String name, String recipe, int bufferSize) {
        this.name = name;
        this.recipe = recipe;
        this.results = new StationResults(bufferSize);
    }

    public String name() {
        return name;
    }

    /** The product its frames are scored against; empty until one is prepared. */
    public String recipe() {
        return recipe;
    }

    void prepare(String product) {
        recipe = product;
    }

    public StationResults results() {
        return results;
    }

    void started() {
        inFlight.incrementAndGet();
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    boolean busy() {
        return inFlight.get() > 0;
    }
}
