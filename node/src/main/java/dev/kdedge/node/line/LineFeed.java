package dev.kdedge.node.line;

import dev.kdedge.node.results.ResultFilter;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ResultRecord;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the stations every part's result the journal records from now on, in the order of their ids, on a thread of
 * its own: the journal's writer is only told to wake it, and a slow door never holds a commit.
 */
public final class LineFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LineFeed.class);
    private static final int WINDOW = 256;
    private static final ResultFilter PARTS = new ResultFilter("", "", null, true);

    private final ResultJournal journal;
    private final Stations stations;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kdedge-line-feed");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable wake = this::wake;
    private long lastSeen;

    public LineFeed(ResultJournal journal, Stations stations) {
        this.journal = journal;
        this.stations = stations;
        this.lastSeen = journal.lastRecordedId();
        journal.onRecorded(wake);
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
                    stations.recorded(result);
                }
                // the window holds parts only: every id up to its last, or to upTo when it was not full, was read
                lastSeen = window.results().size() < WINDOW ? upTo
                        : window.results().get(window.results().size() - 1).resultId();
            }
        } catch (Exception e) {
            LOG.warn("the stations could not read the latest results from the journal: {}", e.toString());
        }
    }

    @Override
    public void close() {
        journal.removeListener(wake);
        thread.shutdownNow();
    }
}
