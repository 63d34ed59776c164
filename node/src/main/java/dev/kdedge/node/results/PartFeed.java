package dev.kdedge.node.results;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands its listeners (the stations, the console) every part's result the journal records from now on, in the order
 * of their ids, on a thread of its own: the journal's writer is only told to wake it, and a slow door never holds a
 * commit.
 */
public final class PartFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartFeed.class);
    private static final int WINDOW = 256;
    private static final ResultFilter PARTS = new ResultFilter("", "", null, true);

    private final ResultJournal journal;
    private final List<Consumer<ResultRecord>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kdedge-part-feed");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable wake = this::wake;
    private long lastSeen;

    public PartFeed(ResultJournal journal) {
        this.journal = journal;
        this.lastSeen = journal.lastRecordedId();
        journal.onRecorded(wake);
    }

    /** {@code listener} hears each part's result from now on, on the feed's thread: it must be quick. */
    public void onPart(Consumer<ResultRecord> listener) {
        listeners.add(listener);
    }

    private void wake() {
        if (scheduled.compareAndSet(false, true)) {
            thread.execute(this::catchUp);
        }
    }

    private void catchUp() {
        scheduled.set(false);
        try {
            long upTo = journal.lastRecordedId();
            while (lastSeen < upTo) {
                ResultJournal.Window window = journal.window(lastSeen, upTo, PARTS, WINDOW).get(30, TimeUnit.SECONDS);
                for (ResultRecord result : window.results()) {
                    tell(result);
                }
                // the window holds parts only: every id up to its last, or to upTo when it was not full, was read
                lastSeen = window.results().size() < WINDOW ? upTo
                        : window.results().get(window.results().size() - 1).resultId();
            }
        } catch (Exception e) {
            LOG.warn("the latest parts' results could not be read from the journal: {}", e.toString());
        }
    }

    private void tell(ResultRecord result) {
        for (Consumer<ResultRecord> listener : listeners) {
            try {
                listener.accept(result);
            } catch (RuntimeException e) {
                LOG.warn("a door could not be told of result {}: {}", result.resultId(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        journal.removeListener(wake);
        thread.shutdownNow();
    }
}
