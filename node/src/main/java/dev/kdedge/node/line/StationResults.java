package dev.kdedge.node.line;

import dev.kdedge.node.results.ResultRecord;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * A station's results as a PLC takes them, the machine-vision handshake: the latest part's result, and the results
 * the PLC has not acknowledged yet, at most {@code capacity} (8, as cameras buffer). A result that finds the buffer
 * full pushes the oldest out and sets the overrun flag until the PLC acknowledges: the PLC has fallen behind. Results
 * leave only this buffer, never the journal, where the PLC can still read them by id.
 */
public final class StationResults {
    private final int capacity;
    private final ArrayDeque<ResultRecord> unacknowledged = new ArrayDeque<>();
    private ResultRecord latest;
    private boolean overrun;

    StationResults(int capacity) {
        this.capacity = capacity;
    }

    synchronized void add(ResultRecord result) {
        latest = result;
        if (unacknowledged.size() >= capacity) {
            unacknowledged.removeFirst();
            overrun = true;
        }
        unacknowledged.addLast(result);
    }

    /**
     * Acknowledges every result up to {@code resultId}, and clears the overrun flag.
     *
     * @return how many results it acknowledged
     */
    synchronized int acknowledge(long resultId) {
        int acknowledged = 0;
        while (!unacknowledged.isEmpty() && unacknowledged.peekFirst().resultId() <= resultId) {
            unacknowledged.removeFirst();
            acknowledged++;
        }
        overrun = false;
        return acknowledged;
    }

    public synchronized Optional<ResultRecord> latest() {
        return Optional.ofNullable(latest);
    }

    /** Oldest first. */
    public synchronized List<ResultRecord> unacknowledged() {
        return List.copyOf(unacknowledged);
    }

    public synchronized boolean overrun() {
        return overrun;
    }

    public int capacity() {
        return capacity;
    }
}
