package dev.kdedge.node.audit;

import dev.kdedge.calibration.store.StoreFullException;
import dev.kdedge.node.inspection.Evaluation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/**
 * Every change people make to what the node decides (promote, rollback, thresholds, reviews of parts), with who, when,
 * before and after, in an SQLite file of its own. Each change is on the disk before the call that made it returns, so
 * a change an engineer was told of is never lost. Blocking: called from the administration threads, never an event
 * loop; one connection, one writer at a time.
 */
public final class AuditTrail implements AutoCloseable {
    /** What recording a change needs at least: one page of SQLite's. */
    private static final long PAGE_BYTES = 4096;
    private final Path file;
    private Connection db;

    /** The trail in {@code file}, opened (or created) at its first use, and again after a failure. */
    public AuditTrail(Path file) {
        this.file = file;
    }

    /**
     * Opens the trail now, so that a change that could not be recorded is refused before it is made.
     *
     * @throws IOException saying why the trail cannot be written
     */
    public synchronized void requireWritable() throws IOException {
        try {
            connection();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private Connection connection() throws SQLException {
        if (db != null) {
            return db;
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new SQLException(file.getParent() + " cannot be made: " + e.getMessage(), e);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(5000);
        Connection opened = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties());
        try (Statement s = opened.createStatement()) {
            s.executeUpdate("CREATE TABLE IF NOT EXISTS changes (change_id INTEGER PRIMARY KEY AUTOINCREMENT, "
                    + "at INTEGER NOT NULL, who TEXT NOT NULL, door TEXT NOT NULL, action TEXT NOT NULL, "
                    + "product TEXT NOT NULL, subject TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL)");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS reviews (result_id INTEGER PRIMARY KEY, "
                    + "product TEXT NOT NULL, model_version INTEGER NOT NULL, raw_score REAL NOT NULL, "
                    + "evaluation TEXT NOT NULL, reviewer TEXT NOT NULL, door TEXT NOT NULL, "
                    + "reviewed_at INTEGER NOT NULL)");
            s.executeUpdate("CREATE INDEX IF NOT EXISTS reviews_by_product ON reviews (product, result_id)");
            opened.setAutoCommit(false);
        } catch (SQLException e) {
            opened.close();
            throw e;
        }
        db = opened;
        return db;
    }

    /** Records a change, committed to the disk before it returns. */
    public synchronized Change record(Actor who, String action, String product, String before, String after)
            throws IOException {
        try {
            Change change = insert(who, action, product, "", before, after, Instant.now());
            connection().commit();
            return change;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /**
     * Records a person's decision on a result, replacing an earlier one, with the change it makes in the same
     * transaction.
     */
    public synchronized Review review(long resultId, String product, int version, double rawScore,
            Evaluation evaluation, Actor who) throws IOException {
        try {
            Optional<Review> earlier = reviewOf(resultId);
            Instant at = Instant.now();
            try (PreparedStatement s = connection().prepareStatement("INSERT OR REPLACE INTO reviews (result_id, product, "
                    + "model_version, raw_score, evaluation, reviewer, door, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                bind(s, resultId, product, version, rawScore, evaluation.name(), who.name(), who.door(),
                        at.toEpochMilli());
                s.executeUpdate();
            }
            insert(who, "review", product, "result " + resultId,
                    earlier.map(r -> r.evaluation().name()).orElse("NOT_DECIDABLE"), evaluation.name(), at);
            connection().commit();
            return new Review(resultId, product, version, rawScore, evaluation, who, at);
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** The latest changes, newest first; those to {@code product} when it is not empty. */
    public synchronized List<Change> changes(String product, int limit) throws IOException {
        return list("SELECT * FROM changes WHERE ? = '' OR product = ? ORDER BY change_id DESC LIMIT ?",
                r -> new Change(r.getLong("change_id"), Instant.ofEpochMilli(r.getLong("at")),
                        new Actor(r.getString("who"), r.getString("door")), r.getString("action"),
                        r.getString("product"), r.getString("subject"), r.getString("before"), r.getString("after")),
                product, product, limit);
    }

    /** The reviewed results, newest result first; those of {@code product} when it is not empty. */
    public synchronized List<Review> reviews(String product, int limit) throws IOException {
        return list("SELECT * FROM reviews WHERE ? = '' OR product = ? ORDER BY result_id DESC LIMIT ?",
                AuditTrail::review, product, product, limit);
    }

    @FunctionalInterface
    private interface Row<T> {
        T of(ResultSet r) throws SQLException;
    }

    private <T> List<T> list(String sql, Row<T> row, Object... values) throws IOException {
        try (PreparedStatement s = connection().prepareStatement(sql)) {
            bind(s, values);
            List<T> rows = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(row.of(r));
                }
            }
            connection().commit();
            return rows;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private Optional<Review> reviewOf(long resultId) throws SQLException {
        try (PreparedStatement s = connection().prepareStatement("SELECT * FROM reviews WHERE result_id = ?")) {
            s.setLong(1, resultId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(review(r)) : Optional.empty();
            }
        }
    }

    private static Review review(ResultSet r) throws SQLException {
        return new Review(r.getLong("result_id"), r.getString("product"), r.getInt("model_version"),
                r.getDouble("raw_score"), Evaluation.valueOf(r.getString("evaluation")),
                new Actor(r.getString("reviewer"), r.getString("door")), Instant.ofEpochMilli(r.getLong("reviewed_at")));
    }

    private Change insert(Actor who, String action, String product, String subject, String before, String after,
            Instant at) throws SQLException {
        try (PreparedStatement s = connection().prepareStatement("INSERT INTO changes (at, who, door, action, product, subject, "
                + "before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            bind(s, at.toEpochMilli(), who.name(), who.door(), action, product, subject, before, after);
            s.executeUpdate();
            try (ResultSet keys = s.getGeneratedKeys()) {
                keys.next();
                return new Change(keys.getLong(1), at, who, action, product, subject, before, after);
            }
        }
    }

    private static void bind(PreparedStatement s, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            s.setObject(i + 1, values[i]);
        }
    }

    /** Drops the connection after a failure (the next use opens it again) and says what failed. */
    private IOException failed(SQLException e) {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException ignored) {
                // closing a failed connection: the next use opens a new one
            }
            db = null;
        }
        // a full disk is said as the store says it, so that every door answers it as it answers a full store
        return StoreFullException.classify(new IOException("the audit trail " + file + " cannot be written or read: "
                + e.getMessage(), e), file, PAGE_BYTES);
    }

    @Override
    public synchronized void close() {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException ignored) {
                // nothing is pending: every change was committed when it was recorded
            }
            db = null;
        }
    }
}
