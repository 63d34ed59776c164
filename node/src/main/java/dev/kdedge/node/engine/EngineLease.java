package dev.kdedge.node.engine;

/** A request's hold on a {@link ProductEngine}; closing it lets an evicted engine be freed. */
public final class EngineLease implements AutoCloseable {
    private final ProductEngine engine;
    private boolean closed;

    EngineLease(ProductEngine engine) {
        this.engine = engine;
    }

    public ProductEngine engine() {
        return engine;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            engine.release();
        }
    }
}
