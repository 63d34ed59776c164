package dev.kdedge.node.inference;

import java.util.AbstractQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The scoring workers' queue: tasks wait in line per client, and each task a worker takes comes from the next client
 * in turn. A client with many calls waiting therefore delays another client's call by at most one of its own per
 * worker, where a first-come queue would make the other wait behind all of them. Bounded: {@link #offer} refuses when
 * {@code capacity} tasks wait. Its iterator is a snapshot.
 */
final class RoundRobinQueue extends AbstractQueue<Runnable> implements BlockingQueue<Runnable> {
    private final int capacity;
    private final Function<Runnable, Object> clientOf;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    /** Each client's line, in the order their turns come; a client whose line empties leaves the rotation. */
    private final LinkedHashMap<Object, ArrayDeque<Runnable>> lines = new LinkedHashMap<>();
    private int count;

    /** @param clientOf whose task it is; tasks of the same client keep their order */
    RoundRobinQueue(int capacity, Function<Runnable, Object> clientOf) {
        this.capacity = capacity;
        this.clientOf = clientOf;
    }

    @Override
    public boolean offer(Runnable task) {
        lock.lock();
        try {
            if (count == capacity) {
                return false;
            }
            enqueue(task);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean offer(Runnable task, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (count == capacity) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = notFull.awaitNanos(nanos);
            }
            enqueue(task);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void put(Runnable task) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (count == capacity) {
                notFull.await();
            }
            enqueue(task);
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(Runnable task) {
        lines.computeIfAbsent(clientOf.apply(task), client -> new ArrayDeque<>()).addLast(task);
        count++;
        notEmpty.signal();
    }

    @Override
    public Runnable poll() {
        lock.lock();
        try {
            return count == 0 ? null : dequeue();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (count == 0) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return dequeue();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Runnable take() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (count == 0) {
                notEmpty.await();
            }
            return dequeue();
        } finally {
            lock.unlock();
        }
    }

    /** The next client's first task; that client goes to the back of the rotation if it has more. */
    private Runnable dequeue() {
        Iterator<Map.Entry<Object, ArrayDeque<Runnable>>> turn = lines.entrySet().iterator();
        Map.Entry<Object, ArrayDeque<Runnable>> next = turn.next();
        Runnable task = next.getValue().pollFirst();
        turn.remove();
        if (!next.getValue().isEmpty()) {
            lines.put(next.getKey(), next.getValue());
        }
        count--;
        notFull.signal();
        return task;
    }

    @Override
    public boolean remove(Object task) {
        if (!(task instanceof Runnable runnable)) {
            return false;
        }
        lock.lock();
        try {
            Object client = clientOf.apply(runnable);
            ArrayDeque<Runnable> line = lines.get(client);
            if (line == null || !line.remove(runnable)) {
                return false;
            }
            if (line.isEmpty()) {
                lines.remove(client);
            }
            count--;
            notFull.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Runnable peek() {
        lock.lock();
        try {
            return count == 0 ? null : lines.values().iterator().next().peekFirst();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int remainingCapacity() {
        lock.lock();
        try {
            return capacity - count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int drainTo(Collection<? super Runnable> sink) {
        return drainTo(sink, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super Runnable> sink, int maxElements) {
        lock.lock();
        try {
            int drained = 0;
            while (count > 0 && drained < maxElements) {
                sink.add(dequeue());
                drained++;
            }
            return drained;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot, in no particular order; removing through it is not supported. */
    @Override
    public Iterator<Runnable> iterator() {
        lock.lock();
        try {
            List<Runnable> snapshot = new ArrayList<>(count);
            lines.values().forEach(snapshot::addAll);
            return Collections.unmodifiableList(snapshot).iterator();
        } finally {
            lock.unlock();
        }
    }
}
