package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.InspectionResult;
import dev.kdedge.node.inspection.InspectionResult.StageTimes;
import dev.kdedge.node.inspection.InspectionResult.Verdict;
import dev.kdedge.node.inspection.Part;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * Every result the node gives, in an SQLite database (WAL mode). One writer thread records results in group commits:
 * a result waits for the commit under way and then its own, and is handed back only once committed, so its reply goes
 * out after it is in the journal ({@link Sync} says how far "in"). Result ids are strictly increasing and never
 * reused: the last one given is kept in the database beside the results, in the same transaction.
 *
 * <p>A journal that cannot write (disk full, a damaged or missing file) never stops scoring: the result is handed back
 * unrecorded (id 0), counted, logged once per failing stretch, and {@link #problem()} says why until a commit succeeds
 * again. Reads run on a thread and connection of their own, beside the writer, as WAL allows.
 */
public final class ResultJournal implements AutoCloseable, MeterBinder {
    private static final Logger LOG = LoggerFactory.getLogger(ResultJournal.class);
    private static final int MAX_BATCH = 512;
    private static final Duration REOPEN_AFTER = Duration.ofSeconds(10);
    private static final Duration AGE_SWEEP_EVERY = Duration.ofMinutes(1);
    private static final String COLUMNS = "result_id, recorded_at, part_id, station, view, product, model_version, "
            + "precision, raw_score, normalized_score, threshold, evaluation, decode_ms, preprocess_ms, inference_ms, "
            + "anomaly_map_ms, heatmap_ms, total_ms, batch_size, client, part_result, view_result_ids, note";
    private static final Pending STOP = new Pending(null, null, 0);
    private static final Duration SIZE_READ_EVERY = Duration.ofSeconds(1);

    /** How far a committed result has gone when its reply is sent. */
    public enum Sync {
        /** On the disk: a power cut loses no result a client was told of. */
        FULL,
        /** With the operating system: killing the node loses none; a power cut may lose the last moments. */
        NORMAL
    }

    /** @param maxAge 0 keeps results until {@code maxResults} pushes them out */
    public record Settings(Path file, long maxResults, Duration maxAge, Sync sync) {}

    /** Told when the journal stops recording and when it records again. */
    public interface Reports {
        void records();

        void cannotRecord(String why);
    }

    /** A row waiting for its commit since {@code queuedNanos}; {@code committed} tells whether it was. */
    private record Pending(ResultRecord row, CompletableFuture<Boolean> committed, long queuedNanos) {}

    private final Settings settings;
    private final Reports reports;
    /** Results waiting for their commit; beyond, a result is handed back unrecorded rather than wait. */
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(16_384);
    private final AtomicLong nextId = new AtomicLong(1);
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(daemon("kdedge-journal"));
    private final ExecutorService reader = Executors.newSingleThreadExecutor(daemon("kdedge-journal-reads"));
    private volatile String problem;
    private volatile long lastRecordedId;
    private volatile long rows;
    private volatile MeterRegistry meters;
    private final PartCounter parts = new PartCounter();
    private volatile long bytes;
    private Instant lastSizeRead = Instant.MIN;
    private boolean closed;
    private Connection writes;
    private Connection reads;
    private Instant lastOpenTry = Instant.MIN;
    private Instant lastAgeSweep = Instant.MIN;

    /**
     * Opens (or creates) the journal. A journal that cannot be opened now still hands results back, unrecorded, and
     * tries again at the next results, at most every 10 seconds.
     */
    public static ResultJournal open(Settings settings, Reports reports) {
        ResultJournal journal = new ResultJournal(settings, reports);
        try {
            journal.writer.submit(journal::openForWrites).get();
        } catch (Exception e) {
            throw new IllegalStateException("the journal's writer did not start", e);
        }
        journal.writer.execute(journal::writeLoop);
        return journal;
    }

    private ResultJournal(Settings settings, Reports reports) {
        this.settings = settings;
        this.reports = reports;
    }

    /**
     * Records a result under the next id, with the part id the node gives a part the request named none ("r" and
     * the id).
     *
     * @return the result as recorded, once committed; or unrecorded (id 0) when the journal cannot write
     */
    public CompletableFuture<InspectionResult> record(InspectionResult result, String client, boolean partResult) {
        Verdict verdict = result.verdict();
        Queued queued = enqueue(id -> new ResultRecord(id, named(result.part(), id), verdict.product(),
                verdict.version(), verdict.precision(), verdict.rawScore(), verdict.normalizedScore(),
                verdict.threshold(), result.evaluation(), verdict.timings(), Instant.now(), client, partResult,
                List.of(), ""));
        return queued.committed().thenApply(committed -> committed
                ? result.recorded(queued.id(), named(result.part(), queued.id())) : unrecorded(result));
    }

    /**
     * Records the result of a part seen by several views, decided from its views' results.
     *
     * @return its result id once committed, or 0 when it could not be recorded
     */
    public CompletableFuture<Long> recordPart(PartResults.Decided part) {
        Queued queued = enqueue(id -> new ResultRecord(id, new Part(part.partId(), part.station(), ""),
                part.product(), part.version(), part.precision(), part.rawScore(), part.normalizedScore(),
                part.threshold(), part.evaluation(), new StageTimes(0, 0, 0, 0, 0, 0, 0), Instant.now(), "", true,
                part.viewResultIds(), part.why()));
        return queued.committed().thenApply(committed -> committed ? queued.id() : 0L);
    }

    private static Part named(Part part, long id) {
        return part.id().isEmpty() ? part.withId("r" + id) : part;
    }

    private record Queued(long id, CompletableFuture<Boolean> committed) {}

    /**
     * Gives the row its id and queues it, both under one lock: rows are committed in the order of their ids, so a
     * follower that has read up to the last committed id has missed none below it.
     */
    private Queued enqueue(LongFunction<ResultRecord> row) {
        CompletableFuture<Boolean> committed = new CompletableFuture<>();
        ResultRecord queued;
        synchronized (queue) {
            long id = nextId.getAndIncrement();
            queued = row.apply(id);
            if (closed || !queue.offer(new Pending(queued, committed, System.nanoTime()))) {
                committed.complete(false);
                count("kdedge.journal.failures", 1);
            }
        }
        if (queued.partResult()) {
            parts.count(queued.product(), queued.part().station(), queued.evaluation());
        }
        return new Queued(queued.resultId(), committed);
    }

    /** Why results are not being recorded, while they are not. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /** The id of the latest result committed; 0 before the first. */
    public long lastRecordedId() {
        return lastRecordedId;
    }

    /** Told (on the writer's thread: it must return at once) after each commit. */
    public void onRecorded(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    public CompletableFuture<Optional<ResultRecord>> byId(long resultId) {
        return read(db -> first(db, "SELECT " + COLUMNS + " FROM results WHERE result_id = ?", resultId));
    }

    /** The latest result recorded for the part. */
    public CompletableFuture<Optional<ResultRecord>> latestForPart(String partId) {
        return read(db -> first(db, "SELECT " + COLUMNS
                + " FROM results WHERE part_id = ? ORDER BY result_id DESC LIMIT 1", partId));
    }

    /**
     * What a follower reads next: results in (afterId, upToId], oldest first, at most {@code limit}.
     *
     * @param oldestHeld the oldest id the journal still holds, 0 when it holds none: a follower behind it has missed
     *     results the retention removed
     */
    public record Window(List<ResultRecord> results, long oldestHeld) {}

    public CompletableFuture<Window> window(long afterId, long upToId, ResultFilter filter, int limit) {
        return read(db -> new Window(query(db, "result_id > ? AND result_id <= " + upToId, afterId, filter, null,
                null, "ASC", limit), oldest(db)));
    }

    /**
     * A page of results recorded in [since, until) where those are given, at most {@code limit}: newest first, before
     * {@code fromId} (exclusive; {@link Long#MAX_VALUE} for the newest), or oldest first, after it (0 for the oldest).
     */
    public CompletableFuture<List<ResultRecord>> page(boolean oldestFirst, long fromId, ResultFilter filter,
            Instant since, Instant until, int limit) {
        return read(db -> query(db, oldestFirst ? "result_id > ?" : "result_id < ?", fromId, filter, since, until,
                oldestFirst ? "ASC" : "DESC", limit));
    }

    private static long oldest(Connection db) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT min(result_id) FROM results")) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    @FunctionalInterface
    private interface Read<T> {
        T apply(Connection db) throws SQLException;
    }

    private <T> CompletableFuture<T> read(Read<T> read) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                if (reads == null) {
                    reads = connect(true);
                }
                return read.apply(reads);
            } catch (SQLException | IOException e) {
                closeQuietly(reads);
                reads = null;
                throw new RejectedRequestException(Rejection.UNAVAILABLE, "the results journal cannot be read: "
                        + e.getMessage());
            }
        }, reader);
    }

    private static Optional<ResultRecord> first(Connection db, String sql, Object key) throws SQLException {
        try (PreparedStatement s = db.prepareStatement(sql)) {
            s.setObject(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(row(r)) : Optional.empty();
            }
        }
    }

    private static List<ResultRecord> query(Connection db, String idCondition, long id, ResultFilter filter,
            Instant since, Instant until, String order, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM results WHERE " + idCondition);
        List<Object> values = new ArrayList<>(List.of(id));
        if (!filter.product().isEmpty()) {
            sql.append(" AND product = ?");
            values.add(filter.product());
        }
        if (!filter.station().isEmpty()) {
            sql.append(" AND station = ?");
            values.add(filter.station());
        }
        if (filter.evaluation() != null) {
            sql.append(" AND evaluation = ?");
            values.add(filter.evaluation().name());
        }
        if (filter.partsOnly()) {
            sql.append(" AND part_result = 1");
        }
        if (since != null) {
            sql.append(" AND recorded_at >= ?");
            values.add(since.toEpochMilli());
        }
        if (until != null) {
            sql.append(" AND recorded_at < ?");
            values.add(until.toEpochMilli());
        }
        sql.append(" ORDER BY result_id ").append(order).append(" LIMIT ?");
        values.add(limit);
        try (PreparedStatement s = db.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
                s.setObject(i + 1, values.get(i));
            }
            List<ResultRecord> results = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    results.add(row(r));
                }
            }
            return results;
        }
    }

    private static ResultRecord row(ResultSet r) throws SQLException {
        return new ResultRecord(r.getLong("result_id"),
                new Part(r.getString("part_id"), r.getString("station"), r.getString("view")), r.getString("product"),
                r.getInt("model_version"), r.getString("precision"), r.getDouble("raw_score"),
                r.getDouble("normalized_score"), r.getDouble("threshold"),
                Evaluation.valueOf(r.getString("evaluation")),
                new StageTimes(r.getDouble("decode_ms"), r.getDouble("preprocess_ms"), r.getDouble("inference_ms"),
                        r.getDouble("anomaly_map_ms"), r.getDouble("heatmap_ms"), r.getDouble("total_ms"),
                        r.getInt("batch_size")),
                Instant.ofEpochMilli(r.getLong("recorded_at")), r.getString("client"), r.getInt("part_result") == 1,
                r.getString("view_result_ids").isEmpty() ? List.of() : Arrays.stream(r.getString("view_result_ids")
                        .split(",")).map(Long::valueOf).toList(), r.getString("note"));
    }

    // The writer's side, all on its one thread.

    private void openForWrites() {
        lastOpenTry = Instant.now();
        try {
            Files.createDirectories(settings.file().toAbsolutePath().getParent());
            writes = connect(false);
            try (Statement s = writes.createStatement()) {
                s.executeUpdate("CREATE TABLE IF NOT EXISTS results (result_id INTEGER PRIMARY KEY, "
                        + "recorded_at INTEGER NOT NULL, part_id TEXT NOT NULL, station TEXT NOT NULL, "
                        + "view TEXT NOT NULL, product TEXT NOT NULL, model_version INTEGER NOT NULL, "
                        + "precision TEXT NOT NULL, raw_score REAL NOT NULL, normalized_score REAL NOT NULL, "
                        + "threshold REAL NOT NULL, evaluation TEXT NOT NULL, decode_ms REAL, preprocess_ms REAL, "
                        + "inference_ms REAL, anomaly_map_ms REAL, heatmap_ms REAL, total_ms REAL, batch_size INTEGER, "
                        + "client TEXT NOT NULL, part_result INTEGER NOT NULL, view_result_ids TEXT NOT NULL, "
                        + "note TEXT NOT NULL)");
                s.executeUpdate("CREATE INDEX IF NOT EXISTS results_by_part ON results (part_id, result_id)");
                s.executeUpdate("CREATE INDEX IF NOT EXISTS results_by_time ON results (recorded_at)");
                s.executeUpdate("CREATE TABLE IF NOT EXISTS last_result_id (id INTEGER NOT NULL)");
                long last = 0;
                try (ResultSet r = s.executeQuery("SELECT max(id) FROM last_result_id")) {
                    last = r.next() ? r.getLong(1) : 0;
                }
                try (ResultSet r = s.executeQuery("SELECT max(result_id), count(*) FROM results")) {
                    r.next();
                    last = Math.max(last, r.getLong(1));
                    rows = r.getLong(2);
                }
                if (last == 0) {
                    s.executeUpdate("DELETE FROM last_result_id");
                    s.executeUpdate("INSERT INTO last_result_id VALUES (0)");
                }
                lastRecordedId = last;
                // ids handed out while the journal could not write were never reported: they may be given again
                nextId.accumulateAndGet(last + 1, Math::max);
            }
            writes.commit();
        } catch (SQLException | IOException e) {
            closeQuietly(writes);
            writes = null;
            failing("the results journal " + settings.file() + " cannot be opened: " + e.getMessage(), e);
        }
    }

    private Connection connect(boolean readOnly) throws SQLException, IOException {
        if (readOnly && !Files.exists(settings.file())) {
            throw new IOException("no journal at " + settings.file());
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(settings.sync() == Sync.FULL ? SQLiteConfig.SynchronousMode.FULL
                : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(5000);
        config.setReadOnly(readOnly);
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + settings.file().toAbsolutePath(),
                config.toProperties());
        connection.setAutoCommit(readOnly);
        return connection;
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            boolean stop = batch.remove(STOP);
            if (!batch.isEmpty()) {
                write(batch);
            }
            batch.clear();
            if (stop) {
                return;
            }
        }
    }

    private void write(List<Pending> batch) {
        if (writes == null && Duration.between(lastOpenTry, Instant.now()).compareTo(REOPEN_AFTER) >= 0) {
            openForWrites();
        }
        long started = System.nanoTime();
        try {
            if (writes == null) {
                throw new SQLException(problem);
            }
            long last = 0;
            try (PreparedStatement insert = writes.prepareStatement("INSERT INTO results (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Pending pending : batch) {
                    bind(insert, pending.row());
                    insert.addBatch();
                    last = Math.max(last, pending.row().resultId());
                }
                insert.executeBatch();
            }
            try (PreparedStatement highWater = writes.prepareStatement(
                    "UPDATE last_result_id SET id = max(id, ?)")) {
                highWater.setLong(1, last);
                highWater.executeUpdate();
            }
            long removed = removeBeyondRetention(Instant.now(), rows + batch.size());
            writes.commit();
            rows += batch.size() - removed;
            lastRecordedId = Math.max(lastRecordedId, last);
            if (problem != null) {
                LOG.info("the results journal records again");
                problem = null;
                reports.records();
            }
        } catch (SQLException e) {
            rollbackQuietly();
            failing("results are not being recorded: " + e.getMessage(), e);
            batch.forEach(pending -> pending.committed().complete(false));
            count("kdedge.journal.failures", batch.size());
            return;
        }
        long now = System.nanoTime();
        MeterRegistry registry = meters;
        if (registry != null) {
            Timer.builder("kdedge.journal.commit").description("one group commit of the results journal")
                    .register(registry).record(now - started, TimeUnit.NANOSECONDS);
            Timer.builder("kdedge.journal.lag").description("from a result given to the journal to its commit, "
                    + "the longest of each group commit").register(registry)
                    .record(now - batch.stream().mapToLong(Pending::queuedNanos).min().orElse(now),
                            TimeUnit.NANOSECONDS);
        }
        readSize();
        batch.forEach(pending -> pending.committed().complete(true));
        listeners.forEach(Runnable::run);
    }

    /** The database's size with its write-ahead log, read at most once a second by the writer. */
    private void readSize() {
        Instant now = Instant.now();
        if (Duration.between(lastSizeRead, now).compareTo(SIZE_READ_EVERY) < 0) {
            return;
        }
        lastSizeRead = now;
        long total = 0;
        for (String suffix : List.of("", "-wal")) {
            try {
                total += Files.size(Path.of(settings.file() + suffix));
            } catch (IOException absent) {
                // no write-ahead log between checkpoints
            }
        }
        bytes = total;
    }

    private static void bind(PreparedStatement insert, ResultRecord r) throws SQLException {
        StageTimes t = r.timings();
        Object[] values = {r.resultId(), r.recordedAt().toEpochMilli(), r.part().id(), r.part().station(),
            r.part().view(), r.product(), r.version(), r.precision(), r.rawScore(), r.normalizedScore(), r.threshold(),
            r.evaluation().name(), t.decodeMs(), t.preprocessMs(), t.inferenceMs(), t.anomalyMapMs(), t.heatmapMs(),
            t.totalMs(), t.batchSize(), r.client(), r.partResult() ? 1 : 0, r.viewResultIds().stream()
                    .map(String::valueOf).collect(Collectors.joining(",")), r.note()};
        for (int i = 0; i < values.length; i++) {
            insert.setObject(i + 1, values[i]);
        }
    }

    /**
     * Removes the oldest results: beyond maxResults at every commit, beyond maxAge once a minute.
     *
     * @return how many
     */
    private long removeBeyondRetention(Instant now, long held) throws SQLException {
        long removed = 0;
        if (held > settings.maxResults()) {
            try (PreparedStatement delete = writes.prepareStatement("DELETE FROM results WHERE result_id IN "
                    + "(SELECT result_id FROM results ORDER BY result_id LIMIT ?)")) {
                delete.setLong(1, held - settings.maxResults());
                removed += delete.executeUpdate();
            }
        }
        if (!settings.maxAge().isZero() && Duration.between(lastAgeSweep, now).compareTo(AGE_SWEEP_EVERY) >= 0) {
            lastAgeSweep = now;
            try (PreparedStatement delete = writes.prepareStatement("DELETE FROM results WHERE recorded_at < ?")) {
                delete.setLong(1, now.minus(settings.maxAge()).toEpochMilli());
                removed += delete.executeUpdate();
            }
        }
        return removed;
    }

    private void failing(String why, Exception e) {
        if (problem == null) {
            LOG.error(why, e);
        }
        problem = why;
        reports.cannotRecord(why);
    }

    private void rollbackQuietly() {
        try {
            if (writes != null) {
                writes.rollback();
            }
        } catch (SQLException e) {
            closeQuietly(writes);
            writes = null;
        }
    }

    /** The result with a part id of its own when the request named none: "u" and a random UUID. */
    static InspectionResult unrecorded(InspectionResult result) {
        return result.part().id().isEmpty()
                ? result.recorded(0, result.part().withId("u" + UUID.randomUUID())) : result;
    }

    private void count(String name, int n) {
        MeterRegistry registry = meters;
        if (registry != null) {
            Counter.builder(name).description("results the journal could not record").register(registry).increment(n);
        }
    }

    /**
     * Results recorded and retained, the bytes they take, commit times and lag, failures, whether the journal is
     * failing, and the parts decided.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        meters = registry;
        Counter.builder("kdedge.journal.failures").description("results the journal could not record")
                .register(registry);
        Gauge.builder("kdedge.journal.results", this, journal -> journal.rows)
                .description("results the journal holds").register(registry);
        Gauge.builder("kdedge.journal.failing", this, journal -> journal.problem == null ? 0 : 1)
                .description("1 while results are not being recorded").register(registry);
        Gauge.builder("kdedge.journal.bytes", this, journal -> journal.bytes).baseUnit("bytes")
                .description("the journal's database and write-ahead log on disk").register(registry);
        parts.bindTo(registry);
    }

    /** Records what is queued, then closes the database. */
    @Override
    public void close() throws InterruptedException {
        synchronized (queue) {
            closed = true;
            queue.put(STOP);
        }
        writer.shutdown();
        if (!writer.awaitTermination(30, TimeUnit.SECONDS)) {
            LOG.warn("the results journal did not finish writing within 30 s");
        }
        writer.shutdownNow();
        reader.submit(() -> closeQuietly(reads));
        reader.shutdown();
        reader.awaitTermination(10, TimeUnit.SECONDS);
        closeQuietly(writes);
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the journal", e);
            }
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
